/* The server name a TLS client asks for, read from its ClientHello (pure). */
#include <string.h>

#include "sni.h"

#define SNI_HOST_NAME	0	/* NameType host_name */

static size_t
be16(const unsigned char *p)
{
	return (size_t)p[0] << 8 | p[1];
}

int
sni_parse(const unsigned char *ext, size_t len, char *out, size_t outsz)
{
	size_t listlen, namelen, i, off;
	unsigned type;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	if (len < 2 || (listlen = be16(ext)) != len - 2)
		return -1;
	for (off = 2; off < len; off += 3 + namelen) {
		if (len - off < 3)
			return -1;
		type = ext[off];
		namelen = be16(ext + off + 1);
		if (namelen > len - off - 3)
			return -1;
		if (type != SNI_HOST_NAME)
			continue;
		if (namelen == 0 || namelen > SNI_NAME_MAX || namelen >= outsz)
			return -1;
		for (i = 0; i < namelen; i++)
			if (ext[off + 3 + i] <= 0x20 || ext[off + 3 + i] >= 0x7f)
				return -1;
		memcpy(out, ext + off + 3, namelen);
		out[namelen] = '\0';
		return 0;
	}
	return -1;
}
