// Must not compile: lib/ sees no header of operator/ (the test
// include_boundary.lib_operator builds this against all of lib/ and expects it).
#include "status_writer.h"
