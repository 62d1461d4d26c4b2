/* Titan uploads on the Gemini port: who may, where to, and the answer. */
#ifndef ATTACHE_TITAN_H
#define ATTACHE_TITAN_H

#include <stddef.h>

#include "gemini_request.h"
#include "titan_store.h"

struct conn;

/*
 * Answers a Titan request line (titan_request_is) reaching site of c as
 * target t: refuses it, or reads its body into the capsule and answers
 * "30 gemini://HOST[:PORT]/path" once the file is on disk.
 */
void	titan_answer(struct conn *c, const char *line, size_t len,
	    const struct gemini_target *t);

/*
 * The Gemini status and META a client is given when the store refuses or
 * fails (error is not TITAN_STORE_OK; the store's reason goes to the log).
 */
const char *titan_store_meta(enum titan_store_error error, int *status);

#endif
