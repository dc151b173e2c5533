#ifndef SWISOR_CZLIB_SHIM_H
#define SWISOR_CZLIB_SHIM_H
#include <zlib.h>
#endif
