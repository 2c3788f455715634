#ifndef VERBINDER_CLIBPQ_SHIM_H
#define VERBINDER_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
