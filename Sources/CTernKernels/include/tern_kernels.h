#ifndef TERN_KERNELS_H
#define TERN_KERNELS_H

/// Version of the kernel interface; placeholder until the int8 kernels land.
int tern_kernels_version(void);

#endif
