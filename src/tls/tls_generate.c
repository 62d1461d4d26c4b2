/*
 * The self-signed pair made on a site's first start: an ECDSA P-256 key
 * and a certificate that names the site and its aliases, valid for a
 * century (clients pin it on first use).  Written with O_EXCL, the key
 * first, never over a file this code did not create.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls_error.h"
#include "tls_generate.h"

#define CERT_DAYS	(100 * 365 + 25)	/* a century, with leap days */
#define CERT_SKEW	(24 * 60 * 60)		/* for clients' slow clocks */
#define SERIAL_BYTES	16
#define CN_MAX		64			/* ub-common-name, RFC 5280 */

/* One subjectAltName entry: IP for an address literal, DNS otherwise. */
static int
add_san(GENERAL_NAMES *gens, const char *host)
{
	GENERAL_NAME		*gen = NULL;
	ASN1_OCTET_STRING	*ip = NULL;
	ASN1_IA5STRING		*dns = NULL;
	unsigned char		 addr[16];
	int			 addrlen = 0;

	if (inet_pton(AF_INET, host, addr) == 1)
		addrlen = 4;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		addrlen = 16;

	if ((gen = GENERAL_NAME_new()) == NULL)
		goto fail;
	if (addrlen != 0) {
		if ((ip = ASN1_OCTET_STRING_new()) == NULL ||
		    ASN1_OCTET_STRING_set(ip, addr, addrlen) != 1)
			goto fail;
		GENERAL_NAME_set0_value(gen, GEN_IPADD, ip);
		ip = NULL;
	} else {
		if ((dns = ASN1_IA5STRING_new()) == NULL ||
		    ASN1_STRING_set(dns, host, -1) != 1)
			goto fail;
		GENERAL_NAME_set0_value(gen, GEN_DNS, dns);
		dns = NULL;
	}
	if (sk_GENERAL_NAME_push(gens, gen) <= 0)
		goto fail;
	return 0;

 fail:
	ASN1_OCTET_STRING_free(ip);
	ASN1_IA5STRING_free(dns);
	GENERAL_NAME_free(gen);
	return -1;
}

/* The host name and its aliases, as subjectAltNames. */
static GENERAL_NAMES *
make_san(const char *host, const char *const *aliases, size_t naliases)
{
	GENERAL_NAMES	*gens;
	size_t		 i;

	if ((gens = GENERAL_NAMES_new()) == NULL || add_san(gens, host) == -1)
		goto fail;
	for (i = 0; i < naliases; i++)
		if (add_san(gens, aliases[i]) == -1)
			goto fail;
	return gens;
 fail:
	GENERAL_NAMES_free(gens);
	return NULL;
}

/* A self-signed X509 v3 server certificate for host, signed by pkey. */
static X509 *
make_cert(EVP_PKEY *pkey, const char *host, const char *const *aliases,
    size_t naliases)
{
	X509			*x;
	X509_NAME		*name = NULL;
	BIGNUM			*bn = NULL;
	BASIC_CONSTRAINTS	*bc = NULL;
	ASN1_BIT_STRING		*ku = NULL;
	GENERAL_NAMES		*san = NULL;
	unsigned char		 serial[SERIAL_BYTES];
	int			 has_cn, ok = 0;

	/* A longer name can't be a CN; the SAN alone names the host then. */
	has_cn = strlen(host) <= CN_MAX;

	if ((x = X509_new()) == NULL)
		return NULL;
	if (X509_set_version(x, X509_VERSION_3) != 1)
		goto done;

	/* Random, positive and non-zero (RFC 5280 4.1.2.2), 16 bytes long. */
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto done;
	serial[0] = (serial[0] & 0x7f) | 0x40;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto done;

	if (X509_gmtime_adj(X509_getm_notBefore(x), -CERT_SKEW) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), CERT_DAYS, 0,
	    NULL) == NULL)
		goto done;

	if ((name = X509_NAME_new()) == NULL)
		goto done;
	if (has_cn && X509_NAME_add_entry_by_NID(name, NID_commonName,
	    MBSTRING_ASC, (const unsigned char *)host, -1, -1, 0) != 1)
		goto done;
	if (X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_set_pubkey(x, pkey) != 1)
		goto done;

	if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
		goto done;
	bc->ca = 0;
	if (X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
	    X509V3_ADD_DEFAULT) != 1)
		goto done;
	/* ECDSA certificates sign the handshake and do nothing else. */
	if ((ku = ASN1_BIT_STRING_new()) == NULL ||
	    ASN1_BIT_STRING_set_bit(ku, 0, 1) != 1 ||
	    X509_add1_ext_i2d(x, NID_key_usage, ku, 1,
	    X509V3_ADD_DEFAULT) != 1)
		goto done;
	/* Critical when the subject is empty (RFC 5280 4.2.1.6). */
	if ((san = make_san(host, aliases, naliases)) == NULL ||
	    X509_add1_ext_i2d(x, NID_subject_alt_name, san, !has_cn,
	    X509V3_ADD_DEFAULT) != 1)
		goto done;

	if (X509_sign(x, pkey, EVP_sha256()) <= 0)
		goto done;
	ok = 1;

 done:
	GENERAL_NAMES_free(san);
	ASN1_BIT_STRING_free(ku);
	BASIC_CONSTRAINTS_free(bc);
	X509_NAME_free(name);
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * Creates path with mode (whatever the umask) and writes the key or the
 * certificate to it as PEM.  O_EXCL: an existing file, or a symlink, is
 * never written through.  *created is set once the file exists, so that the
 * caller removes only what this call made.
 */
static int
write_pem(const char *path, mode_t mode, EVP_PKEY *pkey, X509 *x,
    int *created, char *err, size_t errlen)
{
	char	 rbuf[256];
	BIO	*bio;
	int	 fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    mode)) == -1) {
		tls_seterr(err, errlen, "cannot create %s: %s", path,
		    strerror(errno));
		return -1;
	}
	*created = 1;
	if (fchmod(fd, mode) == -1) {
		tls_seterr(err, errlen, "cannot set the mode of %s: %s", path,
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	if ((bio = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL) {
		tls_seterr(err, errlen, "cannot write %s: %s", path,
		    tls_ssl_reason(rbuf, sizeof(rbuf)));
		(void)close(fd);
		return -1;
	}
	errno = 0;
	if (pkey != NULL)
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
		    NULL) == 1;
	else
		ok = PEM_write_bio_X509(bio, x) == 1;
	if (ok)
		ok = BIO_flush(bio) == 1;
	if (!ok) {
		/* A full disk shows as errno, not in the error queue. */
		tls_seterr(err, errlen, "cannot write %s: %s", path, errno != 0 ?
		    strerror(errno) : tls_ssl_reason(rbuf, sizeof(rbuf)));
		BIO_free(bio);
		(void)close(fd);
		return -1;
	}
	BIO_free(bio);
	if (fsync(fd) == -1) {
		tls_seterr(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		tls_seterr(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Creates certdir if needed, then a new key and self-signed certificate.
 * On failure, removes whatever it created.
 */
int
tls_generate_pair(const char *certdir, const char *host,
    const char *const *aliases, size_t naliases, const char *crt,
    const char *key, char *err, size_t errlen)
{
	char		 rbuf[256];
	EVP_PKEY	*pkey = NULL;
	X509		*x = NULL;
	int		 dfd = -1, made_dir = 0, crt_made = 0, key_made = 0;
	int		 rv = -1;

	if (mkdir(certdir, 0700) == 0)
		made_dir = 1;
	else if (errno != EEXIST) {
		tls_seterr(err, errlen, "cannot create certificate directory "
		    "%s: %s", certdir, strerror(errno));
		return -1;
	}
	if ((dfd = open(certdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		tls_seterr(err, errlen, "cannot open certificate directory %s: %s",
		    certdir, strerror(errno));
		goto done;
	}
	/* mkdir's mode is cut by the umask; this one holds a private key. */
	if (made_dir && fchmod(dfd, 0700) == -1) {
		tls_seterr(err, errlen, "cannot set the mode of %s: %s", certdir,
		    strerror(errno));
		goto done;
	}

	if ((pkey = EVP_EC_gen("P-256")) == NULL) {
		tls_seterr(err, errlen, "cannot generate an ECDSA P-256 key: %s",
		    tls_ssl_reason(rbuf, sizeof(rbuf)));
		goto done;
	}
	if ((x = make_cert(pkey, host, aliases, naliases)) == NULL) {
		tls_seterr(err, errlen, "cannot make a certificate for %s: %s",
		    host, tls_ssl_reason(rbuf, sizeof(rbuf)));
		goto done;
	}

	/*
	 * The key first: should we die between the two, the next start finds
	 * a lone key and refuses, rather than pairing it with anything.
	 */
	if (write_pem(key, 0600, pkey, NULL, &key_made, err, errlen) == -1 ||
	    write_pem(crt, 0644, NULL, x, &crt_made, err, errlen) == -1)
		goto done;
	/* The new names must survive a crash too, not only the contents. */
	if (fsync(dfd) == -1) {
		tls_seterr(err, errlen, "cannot sync certificate directory %s: %s",
		    certdir, strerror(errno));
		goto done;
	}
	rv = 0;

 done:
	if (rv == -1) {
		if (key_made)
			(void)unlink(key);
		if (crt_made)
			(void)unlink(crt);
		/* Only succeeds while empty, i.e. still ours alone. */
		if (made_dir)
			(void)rmdir(certdir);
	}
	if (dfd != -1)
		(void)close(dfd);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rv;
}

