/*
 * Client certificate fingerprints as the configuration writes them (pure):
 * "sha256:" and the SHA-256 of the DER certificate in hex, as Lagrange and
 * gmid show it, and the files that list them one per line.
 */
#ifndef ATTACHE_FINGERPRINT_H
#define ATTACHE_FINGERPRINT_H

#include <stddef.h>

#define FINGERPRINT_LEN		32		/* bytes of SHA-256 */
#define FINGERPRINT_HEX_SIZE	(2 * FINGERPRINT_LEN + 1)

/*
 * Parses s[0..len): an optional "sha256:" (any case), then 64 hex digits,
 * optionally as pairs separated by ':' (openssl's -fingerprint form).
 * Returns 0 and the bytes in out, or -1.
 */
int	fingerprint_parse(const char *s, size_t len,
	    unsigned char out[FINGERPRINT_LEN]);

/* The bytes as 64 lowercase hex digits and a NUL. */
void	fingerprint_hex(const unsigned char fp[FINGERPRINT_LEN],
	    char out[FINGERPRINT_HEX_SIZE]);

/* What a list file's parser hands back. */
struct fingerprint_sink {
	/* One fingerprint; -1 stops the parse (out of memory). */
	int	(*add)(void *arg, const unsigned char fp[FINGERPRINT_LEN]);
	/* A line that is neither a fingerprint, a comment nor blank. */
	void	(*bad)(void *arg, unsigned line, const char *msg);
	void	*arg;
};

/*
 * Parses a list: one fingerprint per line, optionally followed by blanks
 * and a note (whose it is); blank lines and lines starting with '#' are
 * skipped.  Returns the number of bad lines, or -1 when add stopped it.
 */
int	fingerprint_list_parse(const char *text, size_t len,
	    const struct fingerprint_sink *sink);

#endif
