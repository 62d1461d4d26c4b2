/* The privileged process's reading: certificates and keys, the log file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "capsule.h"
#include "certlist.h"
#include "check.h"
#include "log.h"
#include "options.h"
#include "priv_load.h"
#include "tls.h"
#include "tls_keys.h"

#define CONF_FILE_MAX	(1024 * 1024)	/* a configuration file, at most */

static void
problem(struct conf_diag *d, unsigned line, const char *msg)
{
	d->errors++;
	d->report(d->arg, line, msg);
}

struct conf *
priv_read_conf(const char *config_file, int argc, char **argv,
    struct conf_diag *diag, int partial, char **textp, size_t *lenp)
{
	struct options opts;
	struct conf *conf = NULL;
	const char *why;
	char *text;
	size_t len;
	unsigned before = diag->errors;
	int fd;

	*textp = NULL;
	*lenp = 0;
	if (config_file == NULL) {
		if (options_parse(argc, argv, &opts, &conf, stderr) ==
		    OPTIONS_ERROR || conf == NULL) {
			diag->errors++;
			diag->report(diag->arg, 0, "the options cannot be read "
			    "again");
		}
		return conf;
	}
	if ((fd = open(config_file, O_RDONLY | O_CLOEXEC)) == -1) {
		diag->errors++;
		diag->report(diag->arg, 0, strerror(errno));
		return NULL;
	}
	text = capsule_read_file(fd, CONF_FILE_MAX, &len, &why);
	close(fd);
	if (text == NULL) {
		diag->errors++;
		diag->report(diag->arg, 0, why);
		return NULL;
	}
	conf = conf_parse(config_file, text, len, diag);
	if (diag->errors > before && !partial) {
		conf_free(conf);
		free(text);
		return NULL;
	}
	*textp = text;
	*lenp = len;
	return conf;
}

/*
 * A site's pair: made when both files are missing, checked (a key of
 * another certificate is said here, at its line), its certificates read
 * into b and its key into keys.
 */
static int
load_pair(const struct conf_site *s, struct bundle *b, struct bundle *keys,
    struct conf_diag *d)
{
	static const char hex[] = "0123456789abcdef";
	struct tls_cert_info info;
	struct tls_pem crt, key, certs;
	unsigned char id[TLS_KEY_ID_LEN];
	char err[8192], fp[TLS_FINGERPRINT_SIZE], name[2 * TLS_KEY_ID_LEN + 1];
	unsigned line = s->certs_line != 0 ? s->certs_line : s->line;
	SSL_CTX *ctx = NULL;
	size_t i;
	int r;

	if (tls_pair_ensure(s->certs, s->name, (const char *const *)s->aliases,
	    s->naliases, 1, &info, err, sizeof(err)) == -1) {
		problem(d, line, err);
		return -1;
	}
	memset(&crt, 0, sizeof(crt));
	memset(&key, 0, sizeof(key));
	if (tls_pem_read(&crt, info.crt_path, err, sizeof(err)) == -1 ||
	    tls_pem_read(&key, info.key_path, err, sizeof(err)) == -1 ||
	    (ctx = tls_context_from_pem(&crt, &key, fp, err,
	    sizeof(err))) == NULL) {
		problem(d, line, err);
		tls_pem_free(&crt);
		tls_pem_free(&key);
		return -1;
	}
	/*
	 * The key process knows the key by its certificate; the server
	 * process gets the certificates alone (the file may hold the key).
	 */
	r = tls_cert_id(SSL_CTX_get0_certificate(ctx), id);
	SSL_CTX_free(ctx);
	if (r == -1)
		snprintf(err, sizeof(err), "cannot compute the fingerprint of "
		    "%s", info.crt_path);
	if (r == -1 || tls_pem_certs(&crt, &certs, err, sizeof(err)) == -1) {
		problem(d, line, err);
		tls_pem_free(&crt);
		tls_pem_free(&key);
		return -1;
	}
	tls_pem_free(&crt);
	for (i = 0; i < TLS_KEY_ID_LEN; i++) {
		name[2 * i] = hex[id[i] >> 4];
		name[2 * i + 1] = hex[id[i] & 0x0f];
	}
	name[2 * TLS_KEY_ID_LEN] = '\0';
	if (info.generated)
		log_info("site %s: generated certificate %s, SHA-256 "
		    "fingerprint %s", s->name, info.crt_path, fp);
	/* The bundle takes both buffers, also when it fails. */
	if (bundle_add_file(b, info.crt_path, certs.data, certs.len) == -1) {
		tls_pem_free(&key);
		problem(d, 0, "out of memory");
		return -1;
	}
	if (bundle_add_file(keys, name, key.data, key.len) == -1) {
		problem(d, 0, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * What must hold before a certificate is made: the capsule is a directory
 * (the server process opens it, as its user, again), and the certificate
 * directory is not inside it.
 */
static void
check_paths(const struct conf_site *s, struct conf_diag *d)
{
	char msg[2 * 4096 + 128];
	int fd;

	if ((fd = open(s->capsule, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		snprintf(msg, sizeof(msg), "capsule %s: %s", s->capsule,
		    strerror(errno));
		problem(d, s->capsule_line, msg);
		return;
	}
	close(fd);
	if (check_path_inside(s->certs, s->capsule)) {
		snprintf(msg, sizeof(msg), "%s: certificate directory is "
		    "inside the capsule %s; refusing to serve its keys",
		    s->certs, s->capsule);
		problem(d, s->certs_line, msg);
	}
}

/*
 * Reads a fingerprint list from disk for the server process: the text goes
 * into the bundle (arg) too, once.
 */
static char *
read_into_bundle(void *arg, const char *path, size_t *len, const char **why)
{
	struct bundle *b = arg;
	char *text, *copy;

	if ((text = certlist_read_file(NULL, path, len, why)) == NULL)
		return NULL;
	if (bundle_find(b, path) == NULL) {
		if ((copy = malloc(*len + 1)) == NULL ||
		    bundle_add_file(b, path, copy, *len) == -1) {
			free(text);
			*why = "out of memory";
			return NULL;
		}
		memcpy(copy, text, *len);
		copy[*len] = '\0';
	}
	return text;
}

int
priv_load(struct priv *p, struct conf *conf, char *text, size_t len,
    struct bundle *b, struct bundle *keys, struct conf_diag *diag)
{
	unsigned before = diag->errors;
	size_t i;

	for (i = 0; i < conf->nsites; i++)
		check_paths(&conf->sites[i], diag);
	if (diag->errors > before) {
		free(text);
		bundle_init(b);
		return -1;
	}

	bundle_init(b);
	bundle_init(keys);
	b->id = keys->id = p->last_id + 1;
	keys->nworkers = 1;
	b->nworkers = p->nworkers;
	b->from_argv = p->config_file == NULL;
	b->log_to = conf->log_to;
	b->log_style = conf->log_style;
	if (!b->from_argv) {
		if (bundle_add_file(b, p->config_file, text, len) == -1) {
			problem(diag, 0, "out of memory");
			return -1;
		}
	} else
		free(text);
	/* The lists of allowed certificates and operators, read again. */
	for (i = 0; i < conf->nsites; i++)
		(void)certlist_load_site(&conf->sites[i], read_into_bundle, b,
		    diag);
	/* No certificate is made for a configuration that cannot serve. */
	if (diag->errors > before)
		return -1;
	for (i = 0; conf->gemini_port != 0 && i < conf->nsites; i++)
		(void)load_pair(&conf->sites[i], b, keys, diag);
	return diag->errors > before ? -1 : 0;
}

int
priv_open_log(const struct conf *conf, struct conf_diag *diag)
{
	char msg[4096 + 64];
	int fd;

	if (conf->log_to != CONF_LOG_FILE)
		return -1;
	if ((fd = open(conf->log_file, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NOCTTY, 0640)) == -1) {
		snprintf(msg, sizeof(msg), "log %s: %s", conf->log_file,
		    strerror(errno));
		problem(diag, conf->log_line, msg);
		return -2;
	}
	return fd;
}
