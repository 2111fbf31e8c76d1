#ifndef TESSERA_CLIBFUZZER_H
#define TESSERA_CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver entry (compiler-rt FuzzerInterface.h). SwiftPM gives every executable its own entry point
/// (`<module>_main`), so the harnesses start libFuzzer through this instead of its `main`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

#endif
