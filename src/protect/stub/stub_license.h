// The license side of the decryptor: gets the content key through licetd (stub_client) and
// runs the periodic checks on a thread of its own. Freestanding, like stub_main.cc.
#ifndef LICET_PROTECT_STUB_STUB_LICENSE_H_
#define LICET_PROTECT_STUB_STUB_LICENSE_H_

#include "protect/key/descriptor.h"

namespace licet::protect::stub {

struct StubLicense;

// Opens a licetd session (access + crypt unwrap of key slot 0) and writes the content key
// to `ck`. On a refusal prints the user message (product, what is missing, how to activate)
// and ends the process with the documented exit code; never returns null. The session lives
// in its own anonymous mapping for the life of the process.
StubLicense* AcquireContentKey(const key::Descriptor& d, char** envp, unsigned char ck[32]);

// Starts the periodic check thread when d.check_interval_seconds > 0 (else does nothing).
void StartChecks(const key::Descriptor& d, StubLicense* license);

}  // namespace licet::protect::stub

#endif  // LICET_PROTECT_STUB_STUB_LICENSE_H_
