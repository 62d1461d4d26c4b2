/*
 * libFuzzer target for the PROXY protocol header parser: no input may crash
 * it, a header it accepts lies within the bytes given and is no longer than
 * the protocol allows, every start of an accepted header is a valid start,
 * and addresses are only given for TCP over IPv4 or IPv6.  Built and run by
 * `make fuzz` (FUZZ_SECONDS=N to run longer).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>

#include "proxy_header.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h, cut;
	const char *why;
	size_t i;

	switch (proxy_header_parse(data, size, &h, &why)) {
	case PROXY_DONE:
		if (h.len == 0 || h.len > size || h.len > PROXY_HEADER_MAX ||
		    (h.version == 1 && h.len > PROXY_V1_MAX) ||
		    (h.version != 1 && h.version != 2) || why != NULL)
			abort();
		if (h.has_addresses && (h.src.ss_family != h.dst.ss_family ||
		    (h.src.ss_family != AF_INET && h.src.ss_family != AF_INET6)))
			abort();
		/* The same header, whatever follows it. */
		if (proxy_header_parse(data, h.len, &cut, &why) != PROXY_DONE ||
		    cut.len != h.len)
			abort();
		for (i = 0; i < h.len; i++)
			if (proxy_header_parse(data, i, &cut, &why) !=
			    PROXY_INCOMPLETE)
				abort();
		break;
	case PROXY_INVALID:
		if (why == NULL)
			abort();
		break;
	case PROXY_INCOMPLETE:
		/* Never waits past what a header may hold. */
		if (size >= PROXY_HEADER_MAX || why != NULL)
			abort();
		break;
	}
	return 0;
}
