"""The policy as data: the pack file format, loading, checking and compiling packs, and choosing them."""
