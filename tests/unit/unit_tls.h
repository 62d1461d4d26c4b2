/*
 * Shared by the unit tests of src/tls.c's certificates (test_tls_certs.c,
 * test_tls_refusals.c): a temporary directory, files read and written
 * whole, certificates and keys read back, a refusal checked.
 */
#ifndef UNIT_TLS_H
#define UNIT_TLS_H

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"
#include "unit.h"

static char	root[64];

/* Formats a path under the test's temporary directory. */
static inline const char *
tp(char *buf, size_t bufsz, const char *rel)
{
	int	n;

	n = snprintf(buf, bufsz, "%s/%s", root, rel);
	if (n < 0 || (size_t)n >= bufsz) {
		fprintf(stderr, "path too long: %s\n", rel);
		exit(2);
	}
	return buf;
}

static inline int
exists(const char *path)
{
	struct stat	st;

	return lstat(path, &st) == 0;
}

static inline mode_t
mode_of(const char *path)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

/* The whole file, malloc'd, or NULL. */
static inline char *
slurp(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*buf;
	long	 n;

	*lenp = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1 ||
	    (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	*lenp = (size_t)n;
	return buf;
}

static inline int
spew(const char *path, const void *data, size_t len)
{
	FILE	*f;
	int	 ok;

	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static inline int
copy_file(const char *from, const char *to)
{
	char	*buf;
	size_t	 len;
	int	 rv;

	if ((buf = slurp(from, &len)) == NULL)
		return -1;
	rv = spew(to, buf, len);
	free(buf);
	return rv;
}

static inline int
mkdir_p1(const char *path)
{
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static inline X509 *
read_cert(const char *path)
{
	FILE	*f;
	X509	*x;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static inline EVP_PKEY *
read_key(const char *path)
{
	FILE		*f;
	EVP_PKEY	*k;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

static inline int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A refusal: NULL, a one-line reason holding want1 (and want2). */
static inline void
check_refused(SSL_CTX *ctx, const char *err, const char *want1,
    const char *want2)
{
	CHECK(ctx == NULL);
	SSL_CTX_free(ctx);
	CHECK(err[0] != '\0');
	CHECK(strchr(err, '\n') == NULL);
	if (want1 != NULL && strstr(err, want1) == NULL) {
		fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", err, want1);
		CHECK(strstr(err, want1) != NULL);
	}
	if (want2 != NULL && strstr(err, want2) == NULL) {
		fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", err, want2);
		CHECK(strstr(err, want2) != NULL);
	}
	/* Nothing stale left for the caller's next OpenSSL call. */
	CHECK_INT(ERR_peek_error(), 0);
}

/* Makes the test's temporary directory; exits when it cannot. */
static inline void
unit_tls_begin(void)
{
	if (snprintf(root, sizeof(root), "/tmp/attache-tls-XXXXXX") < 0 ||
	    mkdtemp(root) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
}

/* Removes it, and everything in it. */
static inline void
unit_tls_end(void)
{
	if (nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		perror(root);
}

#endif
