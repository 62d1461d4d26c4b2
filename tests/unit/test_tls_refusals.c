/*
 * Unit tests for src/tls.c's refusals: half a pair, a pair that does not
 * match, garbled or encrypted files, unusable directories and host names,
 * and a failed generation cleaned up.  Each refusal is one line naming
 * the file, and never touches what exists.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "tls.h"
#include "unit.h"
#include "unit_tls.h"

/* Two generated pairs to copy from: gen/certs and gen/strict. */
static int
make_pairs(void)
{
	static const char	*dirs[] = { "gen/certs", "gen/strict" };
	char			 dir[256], err[512];
	SSL_CTX			*ctx;
	size_t			 i;

	if (mkdir_p1(tp(dir, sizeof(dir), "gen")) == -1)
		return -1;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		ctx = tls_context_new(tp(dir, sizeof(dir), dirs[i]),
		    "localhost", 1, NULL, err, sizeof(err));
		if (ctx == NULL) {
			fprintf(stderr, "tls_context_new %s: %s\n", dir, err);
			return -1;
		}
		SSL_CTX_free(ctx);
	}
	return 0;
}

/* Only one file of the pair: refused, and nothing created or changed. */
static void
test_half_pair(void)
{
	char	 dir[256], srcc[256], srck[256], crt[256], key[256];
	char	 err[512], *before, *after;
	size_t	 blen, alen;
	SSL_CTX	*ctx;

	tp(srcc, sizeof(srcc), "gen/certs/localhost.crt");
	tp(srck, sizeof(srck), "gen/certs/localhost.key");

	tp(dir, sizeof(dir), "onlykey");
	tp(crt, sizeof(crt), "onlykey/localhost.crt");
	tp(key, sizeof(key), "onlykey/localhost.key");
	CHECK_INT(mkdir_p1(dir), 0);
	CHECK_INT(copy_file(srck, key), 0);
	before = slurp(key, &blen);
	ctx = tls_context_new(dir, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, crt, "missing");
	CHECK(strstr(err, "refusing") != NULL);
	CHECK(!exists(crt));
	after = slurp(key, &alen);
	CHECK(before != NULL && after != NULL);
	if (before != NULL && after != NULL)
		CHECK(alen == blen && memcmp(before, after, blen) == 0);
	CHECK_INT(mode_of(key), 0644);	/* not even re-moded */
	free(before);
	free(after);

	tp(dir, sizeof(dir), "onlycrt");
	tp(crt, sizeof(crt), "onlycrt/localhost.crt");
	tp(key, sizeof(key), "onlycrt/localhost.key");
	CHECK_INT(mkdir_p1(dir), 0);
	CHECK_INT(copy_file(srcc, crt), 0);
	before = slurp(crt, &blen);
	ctx = tls_context_new(dir, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, key, "missing");
	CHECK(!exists(key));
	after = slurp(crt, &alen);
	CHECK(before != NULL && after != NULL);
	if (before != NULL && after != NULL)
		CHECK_MEM(after, alen, before, blen);
	free(before);
	free(after);
}

static void
test_mismatch(void)
{
	char	 dir[256], crt[256], key[256], err[512];
	SSL_CTX	*ctx;

	/* The certificate of one generated pair, the key of another. */
	tp(dir, sizeof(dir), "mismatch");
	tp(crt, sizeof(crt), "mismatch/localhost.crt");
	tp(key, sizeof(key), "mismatch/localhost.key");
	CHECK_INT(mkdir_p1(dir), 0);
	CHECK_INT(copy_file(tp(err, sizeof(err), "gen/certs/localhost.crt"),
	    crt), 0);
	CHECK_INT(copy_file(tp(err, sizeof(err), "gen/strict/localhost.key"),
	    key), 0);
	ctx = tls_context_new(dir, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, "does not match", key);
	CHECK(strstr(err, crt) != NULL);
	CHECK(strstr(err, "key values mismatch") != NULL);
}

static void
test_garbage(void)
{
	struct tls_cert_info	 info;
	char			 dir[256], crt[256], key[256], err[512];
	char			 src[256], *pem;
	size_t			 len;
	SSL_CTX			*ctx;
	EVP_PKEY		*pk;
	FILE			*f;

	tp(dir, sizeof(dir), "garbage");
	tp(crt, sizeof(crt), "garbage/localhost.crt");
	tp(key, sizeof(key), "garbage/localhost.key");
	CHECK_INT(mkdir_p1(dir), 0);

	/* A garbled certificate. */
	CHECK_INT(spew(crt, "not a certificate\n", 18), 0);
	CHECK_INT(copy_file(tp(src, sizeof(src), "gen/certs/localhost.key"),
	    key), 0);
	ctx = tls_context_new(dir, "localhost", 1, &info, err, sizeof(err));
	check_refused(ctx, err, crt, "no start line");
	CHECK_INT(info.generated, 0);

	/* A truncated one. */
	pem = slurp(tp(src, sizeof(src), "gen/certs/localhost.crt"), &len);
	CHECK(pem != NULL && len > 100);
	if (pem != NULL) {
		CHECK_INT(spew(crt, pem, len / 2), 0);
		ctx = tls_context_new(dir, "localhost", 1, NULL, err,
		    sizeof(err));
		check_refused(ctx, err, crt, NULL);
		CHECK_INT(spew(crt, pem, len), 0);
		free(pem);
	}

	/* A good certificate, a garbled key. */
	CHECK_INT(spew(key, "-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n", 60), 0);
	ctx = tls_context_new(dir, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, key, NULL);
	CHECK(strstr(err, crt) == NULL);
	CHECK_INT(spew(key, "", 0), 0);
	ctx = tls_context_new(dir, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, key, NULL);
	/* The certificate where the key should be. */
	CHECK_INT(copy_file(crt, key), 0);
	ctx = tls_context_new(dir, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, key, NULL);

	/* An encrypted key is refused at once, never prompted for. */
	pk = read_key(tp(src, sizeof(src), "gen/certs/localhost.key"));
	CHECK(pk != NULL);
	if (pk != NULL && (f = fopen(key, "w")) != NULL) {
		CHECK_INT(PEM_write_PrivateKey(f, pk, EVP_aes_256_cbc(),
		    (const unsigned char *)"secret", 6, NULL, NULL), 1);
		CHECK_INT(fclose(f), 0);
		ctx = tls_context_new(dir, "localhost", 1, NULL, err,
		    sizeof(err));
		check_refused(ctx, err, key, "encrypted");
	}
	EVP_PKEY_free(pk);

	/* A directory where the certificate should be. */
	CHECK_INT(copy_file(src, key), 0);
	CHECK_INT(unlink(crt), 0);
	CHECK_INT(mkdir(crt, 0755), 0);
	ctx = tls_context_new(dir, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, crt, NULL);
	CHECK_INT(rmdir(crt), 0);
	ERR_clear_error();
}

static void
test_no_generate(void)
{
	char	 dir[256], err[512];
	SSL_CTX	*ctx;

	tp(dir, sizeof(dir), "nogen");
	ctx = tls_context_new(dir, "localhost", 0, NULL, err, sizeof(err));
	check_refused(ctx, err, "nogen/localhost.crt", "nogen/localhost.key");
	CHECK(!exists(dir));

	/* Operator-supplied names never break the message over lines. */
	tp(dir, sizeof(dir), "no\ngen");
	ctx = tls_context_new(dir, "localhost", 0, NULL, err, sizeof(err));
	check_refused(ctx, err, "no?gen", NULL);
}

static void
test_bad_dirs(void)
{
	char	 dir[256], file[256], err[512];
	SSL_CTX	*ctx;

	/* Under a regular file: can't be created, even by root. */
	tp(file, sizeof(file), "plainfile");
	CHECK_INT(spew(file, "x", 1), 0);
	tp(dir, sizeof(dir), "plainfile/certs");
	ctx = tls_context_new(dir, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, dir, NULL);
	CHECK(!exists(dir));

	/* The directory itself a regular file. */
	ctx = tls_context_new(file, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, file, NULL);

	/* Missing parents are not made up. */
	tp(dir, sizeof(dir), "no/such/parent");
	ctx = tls_context_new(dir, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, dir, NULL);
	CHECK(!exists(tp(dir, sizeof(dir), "no")));

	ctx = tls_context_new("", "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, NULL, NULL);
	ctx = tls_context_new(NULL, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, NULL, NULL);
	/* No err buffer: still NULL, no crash. */
	CHECK(tls_context_new(NULL, "localhost", 1, NULL, NULL, 0) == NULL);
}

static void
test_bad_hostnames(void)
{
	static const char	*bad[] = { "", "a/b", "../etc", ".hidden",
				    "a b", "host\n", "h\xc3\xa9", "*.example",
				    "example.org.", "a:b", "1.2.3.4:1965",
				    "[::1]", "fe80::1%eth0", "a..b/c" };
	char			 dir[256], err[512];
	size_t			 i;
	SSL_CTX			*ctx;

	tp(dir, sizeof(dir), "badhost");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ctx = tls_context_new(dir, bad[i], 1, NULL, err, sizeof(err));
		check_refused(ctx, err, "host", NULL);
	}
	ctx = tls_context_new(dir, NULL, 1, NULL, err, sizeof(err));
	check_refused(ctx, err, "host", NULL);
	CHECK(!exists(dir));
}

/*
 * A dangling symlink at the certificate's path: generation starts (stat
 * sees nothing), creating the certificate fails (O_EXCL), and the key this
 * call already wrote is removed; the symlink and its target stay as they
 * were.
 */
static void
test_cleanup_on_failure(void)
{
	char	 dir[256], crt[256], key[256], target[256], err[512];
	SSL_CTX	*ctx;

	tp(dir, sizeof(dir), "dangling");
	tp(crt, sizeof(crt), "dangling/localhost.crt");
	tp(key, sizeof(key), "dangling/localhost.key");
	tp(target, sizeof(target), "dangling-target");
	CHECK_INT(mkdir_p1(dir), 0);
	CHECK_INT(symlink(target, crt), 0);
	ctx = tls_context_new(dir, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, crt, NULL);
	CHECK(!exists(key));
	CHECK(!exists(target));
	CHECK(exists(crt));

	/* A dangling symlink as the key: nothing is written at all. */
	CHECK_INT(unlink(crt), 0);
	CHECK_INT(symlink(target, key), 0);
	ctx = tls_context_new(dir, "localhost", 1, NULL, err, sizeof(err));
	check_refused(ctx, err, key, NULL);
	CHECK(!exists(crt));
	CHECK(!exists(target));
	CHECK(exists(key));
}

int
main(void)
{
	unit_tls_begin();
	if (make_pairs() == -1) {
		unit_tls_end();
		return 2;
	}
	test_half_pair();
	test_mismatch();
	test_garbage();
	test_no_generate();
	test_bad_dirs();
	test_bad_hostnames();
	test_cleanup_on_failure();
	unit_tls_end();
	return unit_done("tls_refusals");
}
