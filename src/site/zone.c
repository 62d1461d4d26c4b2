/* Protected zones: certificates in, paths out (pure). */
#include <limits.h>
#include <string.h>

#include "zone.h"

int
zone_cert_in(const struct conf_certs *set,
    const unsigned char sha256[CONF_FINGERPRINT_LEN])
{
	size_t i;

	for (i = 0; i < set->nfp; i++)
		if (memcmp(set->fp[i], sha256, CONF_FINGERPRINT_LEN) == 0)
			return 1;
	return 0;
}

/* Whether cert opens what set guards (any valid one, when any is true). */
static int
admit_cert(const struct conf_certs *set, int any,
    const struct client_cert *cert)
{
	if (cert == NULL || !cert->present)
		return 60;
	if (!cert->time_valid)
		return 62;
	if (any)
		return 0;
	return zone_cert_in(set, cert->sha256) ? 0 : 61;
}

int
zone_admit(const struct conf_location *loc, const struct client_cert *cert)
{
	if (!conf_location_protected(loc))
		return 0;
	/* require-certificate alone lets in any valid certificate. */
	return admit_cert(&loc->allow, loc->allow.nfp == 0 &&
	    loc->allow.nfiles == 0, cert);
}

int
zone_operator(const struct conf_site *s, const struct client_cert *cert)
{
	return admit_cert(&s->operators, 0, cert);
}

int
zone_public(const struct conf_site *s, const char *path)
{
	char dir[PATH_MAX + 2];
	size_t len = strlen(path);

	if (conf_location_protected(conf_location_match(s, path)))
		return 0;
	if (len == 0 || path[len - 1] == '/' || len + 2 > sizeof(dir))
		return 1;
	memcpy(dir, path, len);
	dir[len] = '/';
	dir[len + 1] = '\0';
	return !conf_location_protected(conf_location_match(s, dir));
}
