int main() { return 0; }  // anchor executable that owns the executables' precompiled header
