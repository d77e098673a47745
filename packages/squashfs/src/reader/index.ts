// Owned by the reader: exports SquashfsImage (open/list/stat/read), inspect and verify.
export {};
