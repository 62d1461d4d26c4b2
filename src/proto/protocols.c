/* Which protocol each kind of listener speaks. */
#include "listen_plan.h"
#include "protocols.h"

const struct protocol *const protocols[] = {
	[LISTEN_GEMINI] = &gemini_protocol,
	[LISTEN_GOPHER] = &gopher_protocol,
};
