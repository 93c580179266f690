// Must not compile: lib/ sees no header of agents/ (the test
// include_boundary.lib_agents builds this against all of lib/ and expects it).
#include "dicom/dimse_source.h"
