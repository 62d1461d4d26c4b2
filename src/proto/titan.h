/* Titan uploads on the Gemini port: who may, where to, and the answer. */
#ifndef ATTACHE_TITAN_H
#define ATTACHE_TITAN_H

#include <stddef.h>

#include "gemini_request.h"

struct conn;

/*
 * Answers a Titan request line (titan_request_is) reaching site of c as
 * target t: refuses it, or reads its body into the capsule and answers
 * "30 gemini://HOST[:PORT]/path" once the file is on disk.
 */
void	titan_request(struct conn *c, const char *line, size_t len,
	    const struct gemini_target *t);

#endif
