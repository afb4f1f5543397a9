#include "CBuildStamp.h"

// A C file rather than Swift because only C takes a string from the command line (-DNAME="value"):
// stamping recompiles this one file, and builds without a stamp never change.
#ifndef SMARTREADER_VERSION
#define SMARTREADER_VERSION ""
#endif
#ifndef SMARTREADER_COMMIT
#define SMARTREADER_COMMIT ""
#endif
#ifndef SMARTREADER_NIO_SSL_VERSION
#define SMARTREADER_NIO_SSL_VERSION ""
#endif

const char *smartreader_stamped_version(void) { return SMARTREADER_VERSION; }
const char *smartreader_stamped_commit(void) { return SMARTREADER_COMMIT; }
const char *smartreader_stamped_nio_ssl_version(void) { return SMARTREADER_NIO_SSL_VERSION; }
