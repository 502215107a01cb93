// The JSON value type, shared by the layers that write JSON state (methods' checkpoint state, run files).
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
