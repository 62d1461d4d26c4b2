/*
 * The protocols a listener may speak, by enum listen_proto: the workers
 * hand this table to their servers, so that neither the generation nor the
 * connection life cycle names a protocol.
 */
#ifndef ATTACHE_PROTOCOLS_H
#define ATTACHE_PROTOCOLS_H

#include "conn.h"

extern const struct protocol gemini_protocol;	/* gemini.c */
extern const struct protocol gopher_protocol;	/* gopher.c */

extern const struct protocol *const protocols[];

#endif
