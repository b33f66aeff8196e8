#include "tern_kernels.h"

int tern_kernels_version(void) { return 1; }
