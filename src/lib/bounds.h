/* The protocol numbers every module agrees on, defined once. */
#ifndef ATTACHE_BOUNDS_H
#define ATTACHE_BOUNDS_H

/*
 * Longest request line read, without its line end, in both protocols: the
 * Gemini URI limit, and so also the longest selector or local path that a
 * generated menu or link may carry (every item can then be requested).
 */
#define REQUEST_MAX		1024

#define GEMINI_DEFAULT_PORT	1965

/*
 * AddressSanitizer, as gcc and clang tell it: its allocator replaces
 * glibc's, so glibc's malloc_trim must not run (and the sandbox lets the
 * sanitizer read /proc).
 */
#if defined(__SANITIZE_ADDRESS__)
#define ATTACHE_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ATTACHE_SANITIZED	1
#endif
#endif

/* A number as a string literal, for messages: STR(REQUEST_MAX) is "1024". */
#define STR_(x)			#x
#define STR(x)			STR_(x)

#endif
