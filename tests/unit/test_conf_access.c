/* Client certificates and Titan in the configuration: the directives,
 * fingerprints and their list files, and the zone decisions. */
#include "certlist.h"
#include "fingerprint.h"
#include "unit_conf.h"
#include "zone.h"

#define FP_A	"sha256:0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"
#define HEX_B	"ffeeddccbbaa99887766554433221100" \
		"ffeeddccbbaa99887766554433221100"
#define COLONS_B "FF:EE:DD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00:" \
		"FF:EE:DD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00"

static void
test_fingerprint_parse(void)
{
	static const struct {
		const char	*s;
		int		 ok;
	} cases[] = {
		{ FP_A, 1 },
		{ "SHA256:0123456789ABCDEF0123456789abcdef"
		    "0123456789abcdef0123456789abcdef", 1 },
		{ HEX_B, 1 },
		{ COLONS_B, 1 },
		{ "sha256:" COLONS_B, 1 },
		{ "", 0 },
		{ "sha256:", 0 },
		{ FP_A "0", 0 },		/* 65 digits */
		{ FP_A ":", 0 },
		{ "sha256:0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcde", 0 },	/* 63 */
		{ "sha256:0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdeg", 0 },
		{ "sha1:0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef", 0 },
		{ "FF:EEDD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00:"
		    "FF:EE:DD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00:00", 0 },
		{ "FFEE:DDCCBBAA99887766554433221100"
		    "ffeeddccbbaa998877665544332211", 0 },
		{ ":" HEX_B, 0 },
		{ " " HEX_B, 0 },
	};
	unsigned char fp[FINGERPRINT_LEN];
	char hex[FINGERPRINT_HEX_SIZE];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(fingerprint_parse(cases[i].s, strlen(cases[i].s),
		    fp) == 0, cases[i].ok);
		if ((fingerprint_parse(cases[i].s, strlen(cases[i].s),
		    fp) == 0) != cases[i].ok)
			fprintf(stderr, "  (case %zu)\n", i);
	}
	CHECK_INT(fingerprint_parse(COLONS_B, strlen(COLONS_B), fp), 0);
	fingerprint_hex(fp, hex);
	CHECK_STR(hex, HEX_B);
	CHECK_INT(fp[0], 0xff);
	CHECK_INT(fp[31], 0x00);
}

/* The list parser's results, as text. */
struct listed {
	char	out[2048];
	size_t	len;
	int	stop_after;	/* add fails after this many; 0: never */
	int	added;
};

static int
listed_add(void *arg, const unsigned char fp[FINGERPRINT_LEN])
{
	struct listed *l = arg;
	char hex[FINGERPRINT_HEX_SIZE];

	if (l->stop_after != 0 && l->added == l->stop_after)
		return -1;
	l->added++;
	fingerprint_hex(fp, hex);
	l->len += (size_t)snprintf(l->out + l->len, sizeof(l->out) - l->len,
	    "%.8s\n", hex);
	return 0;
}

static void
listed_bad(void *arg, unsigned line, const char *msg)
{
	struct listed *l = arg;

	l->len += (size_t)snprintf(l->out + l->len, sizeof(l->out) - l->len,
	    "%u: %s\n", line, msg);
}

static void
test_fingerprint_list(void)
{
	static const struct {
		const char	*text;
		size_t		 len;
		const char	*want;
		int		 bad;
	} cases[] = {
#define L(s)	s, sizeof(s) - 1
		{ L(""), "", 0 },
		{ L("\n\n  \n"), "", 0 },
		{ L("# operators\n" FP_A "\n"), "01234567\n", 0 },
		{ L(FP_A " alice\n\t" HEX_B "\tbob's laptop\r\n"),
		    "01234567\nffeeddcc\n", 0 },
		{ L(FP_A), "01234567\n", 0 },		/* no final LF */
		{ L(COLONS_B "\n"), "ffeeddcc\n", 0 },
		{ L("x\n" FP_A "\nsha256:12\n"),
		    "1: not a SHA-256 fingerprint (sha256: and 64 hex "
		    "digits)\n01234567\n3: not a SHA-256 fingerprint "
		    "(sha256: and 64 hex digits)\n", 2 },
		{ L(FP_A "\0\n"), "1: NUL byte\n", 1 },
		{ L("  # indented comment\n#" FP_A "\n"), "", 0 },
#undef L
	};
	struct listed l;
	struct fingerprint_sink sink = { listed_add, listed_bad, &l };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&l, 0, sizeof(l));
		CHECK_INT(fingerprint_list_parse(cases[i].text, cases[i].len,
		    &sink), cases[i].bad);
		CHECK_STR(l.out, cases[i].want);
	}
	/* Out of memory stops the parse. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 1;
	CHECK_INT(fingerprint_list_parse(FP_A "\n" HEX_B "\n" FP_A "\n",
	    strlen(FP_A "\n" HEX_B "\n" FP_A "\n"), &sink), -1);
	CHECK_INT(l.added, 1);
}

static void
test_values(void)
{
	const char *text =
	    "site \"a\" {\n"
	    " capsule \"c\"\n"
	    " titan on\n"
	    " titan-operator \"" FP_A "\"\n"
	    " titan-operator \"ops.txt\"\n"
	    " titan-operator \"" COLONS_B "\"\n"
	    " titan-max-size 512K\n"
	    " titan-delete on\n"
	    " titan-history 0\n"
	    " location \"/staff/*\" { require-certificate }\n"
	    " location \"/board/*\" {\n"
	    "  allow-certificate \"" FP_A "\"\n"
	    "  allow-certificates \"/etc/board.txt\"\n"
	    "  allow-certificate \"" HEX_B "\"\n"
	    " }\n"
	    " location \"/open/*\" { lang \"fr\" }\n"
	    "}\n"
	    "site \"b\" { capsule \"d\" }\n";
	const struct conf_site *s;
	const struct conf_location *l;
	struct conf *c;

	if ((c = parse_ok("/etc/attache/a.conf", text)) == NULL)
		return;
	s = &c->sites[0];
	CHECK_INT(s->titan, 1);
	CHECK_INT(s->titan_line, 3);
	CHECK_INT(s->operators.nfp, 2);
	CHECK_INT(s->operators.nfiles, 1);
	CHECK_STR(s->operators.files[0].path, "/etc/attache/ops.txt");
	CHECK_INT(s->operators.files[0].line, 5);
	CHECK_INT(s->operators.fp[0][0], 0x01);
	CHECK_INT(s->operators.fp[1][0], 0xff);
	CHECK_INT(s->titan_max_size, 512 * 1024);
	CHECK_INT(s->titan_delete, 1);
	CHECK_INT(s->titan_history, 0);
	CHECK_INT(conf_capsule_writable(s), 1);
	CHECK_INT(s->nlocations, 3);
	l = &s->locations[0];
	CHECK_INT(l->require_cert, 1);
	CHECK_INT(conf_location_protected(l), 1);
	l = &s->locations[1];
	CHECK_INT(l->require_cert, 0);
	CHECK_INT(l->allow.nfp, 2);
	CHECK_INT(l->allow.nfiles, 1);
	CHECK_STR(l->allow.files[0].path, "/etc/board.txt");
	CHECK_INT(l->allow.files[0].line, 13);
	CHECK_INT(conf_location_protected(l), 1);
	CHECK_INT(conf_location_protected(&s->locations[2]), 0);
	CHECK_INT(conf_location_protected(NULL), 0);

	/* The defaults. */
	s = &c->sites[1];
	CHECK_INT(s->titan, 0);
	CHECK_INT(conf_capsule_writable(s), 0);
	CHECK_INT(s->titan_max_size, 10 * 1024 * 1024);
	CHECK_INT(s->titan_delete, 0);
	CHECK_INT(s->titan_history, 5);
	CHECK_INT(s->operators.nfp, 0);
	conf_free(c);

	c = parse_ok("a.conf", "site a { capsule c titan off "
	    "titan-max-size 0 titan-history 1000 }\n"
	    "site b { capsule d titan-max-size 16G }\n"
	    "site e { capsule f titan-max-size 17179869184 }\n"
	    "site g { capsule h titan-max-size 1m }\n");
	if (c != NULL) {
		CHECK_INT(c->sites[0].titan, 0);
		CHECK_INT(c->sites[0].titan_max_size, 0);
		CHECK_INT(c->sites[0].titan_history, 1000);
		CHECK_INT(c->sites[1].titan_max_size, 16LL << 30);
		CHECK_INT(c->sites[2].titan_max_size, 16LL << 30);
		CHECK_INT(c->sites[3].titan_max_size, 1 << 20);
	}
	conf_free(c);
}

static const struct {
	const char	*text;
	const char	*want;
} bad[] = {
	{ "site a { capsule c titan yes }",
	    "1: titan: invalid value \"yes\" (on or off)\n" },
	{ "site a { capsule c\n titan on\n}",
	    "2: titan on: site \"a\" has no titan-operator, so nobody could "
	    "upload\n" },
	{ "site a { capsule c titan on titan-operator \"sha256:12\" }",
	    "1: titan-operator: invalid value \"sha256:12\" (sha256: and 64 "
	    "hex digits)\n"
	    "1: titan on: site \"a\" has no titan-operator, so nobody could "
	    "upload\n" },
	{ "site a { capsule c titan-delete 1 }",
	    "1: titan-delete: invalid value \"1\" (on or off)\n" },
	{ "site a { capsule c titan-history 1001 }",
	    "1: titan-history: invalid value \"1001\" (0 to 1000)\n" },
	{ "site a { capsule c titan-history -1 }",
	    "1: titan-history: invalid value \"-1\" (0 to 1000)\n" },
	{ "site a { capsule c titan-history \"\" }",
	    "1: titan-history: invalid value \"\" (0 to 1000)\n" },
	{ "site a { capsule c titan-history 99999999999999999999 }",
	    "1: titan-history: invalid value \"99999999999999999999\" "
	    "(0 to 1000)\n" },
	{ "site a { capsule c titan-max-size 17G }",
	    "1: titan-max-size: invalid value \"17G\" (bytes, or a number and "
	    "K, M or G, at most 16G)\n" },
	{ "site a { capsule c titan-max-size 17179869185 }",
	    "1: titan-max-size: invalid value \"17179869185\" (bytes, or a "
	    "number and K, M or G, at most 16G)\n" },
	{ "site a { capsule c titan-max-size 10MB }",
	    "1: titan-max-size: invalid value \"10MB\" (bytes, or a number and "
	    "K, M or G, at most 16G)\n" },
	{ "site a { capsule c titan-max-size M }",
	    "1: titan-max-size: invalid value \"M\" (bytes, or a number and "
	    "K, M or G, at most 16G)\n" },
	{ "site a { capsule c titan-max-size -1 }",
	    "1: titan-max-size: invalid value \"-1\" (bytes, or a number and "
	    "K, M or G, at most 16G)\n" },
	{ "site a { capsule c titan-max-size 1 titan-max-size 2 }",
	    "1: titan-max-size: given twice (first on line 1)\n" },
	{ "site a { capsule c location \"/x\" { allow-certificate x } }",
	    "1: allow-certificate: invalid value \"x\" (sha256: and 64 hex "
	    "digits)\n" },
	{ "site a { capsule c location \"/x\" { allow-certificates \"\" } }",
	    "1: allow-certificates: invalid value \"\"\n" },
	{ "site a { capsule c location \"/x\" { require-certificate \"on\" "
	    "} }",
	    "1: require-certificate: unexpected \"on\" (it takes no value)\n" },
	{ "site a { capsule c location \"/x\" { require-certificate\n"
	    "require-certificate } }",
	    "2: require-certificate: given twice (first on line 1)\n" },
	{ "site a { capsule c require-certificate }",
	    "1: require-certificate: not allowed in a site block (only in a "
	    "location block)\n" },
	{ "site a { capsule c location \"/x\" { titan on } }",
	    "1: titan: not allowed in a location block (only in a site "
	    "block)\n" },
	{ "titan-history 3\nsite a { capsule c }",
	    "1: titan-history: not allowed at top level (only in a site "
	    "block)\n" },
	{ "site a { capsule c allow-certificate \"" FP_A "\" }",
	    "1: allow-certificate: not allowed in a site block (only in a "
	    "location block)\n" },
};

static void
test_bad(void)
{
	struct msgs m;
	struct conf *c;
	unsigned errors;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = parse("attache.conf", bad[i].text, &m, &errors);
		CHECK(c != NULL);
		CHECK_STR(m.buf, bad[i].want);
		CHECK_INT(errors, count_lines(bad[i].want));
		if (strcmp(m.buf, bad[i].want) != 0)
			fprintf(stderr, "  (case %zu)\n", i);
		conf_free(c);
	}
}

static void
test_zones(void)
{
	const char *text =
	    "site \"a\" { capsule \"c\"\n"
	    " titan on titan-operator \"" FP_A "\"\n"
	    " location \"/staff/*\" { require-certificate }\n"
	    " location \"/board/*\" { allow-certificate \"" FP_A "\" }\n"
	    " location \"/empty/*\" { allow-certificates \"e.txt\" }\n"
	    " location \"/fr/*\" { lang \"fr\" }\n"
	    " location \"/fr/staff/*\" { require-certificate }\n"
	    "}\n";
	struct client_cert none = { 0, 0, { 0 } }, a, b, expired;
	const struct conf_site *s;
	struct conf *c;
	static const struct {
		const char	*path;
		int		 public;
	} paths[] = {
		{ "/", 1 },
		{ "/index.gmi", 1 },
		{ "/staff/", 0 },
		{ "/staff/page.gmi", 0 },
		{ "/staff", 0 },		/* the directory, named bare */
		{ "/staffroom.gmi", 1 },
		{ "/board/x/y.gmi", 0 },
		{ "/empty/", 0 },
		{ "/fr/staff/x.gmi", 1 },	/* the first match wins */
		{ "", 1 },
	};
	size_t i;

	if ((c = parse_ok("a.conf", text)) == NULL)
		return;
	s = &c->sites[0];
	memset(&a, 0, sizeof(a));
	a.present = a.time_valid = 1;
	CHECK_INT(fingerprint_parse(FP_A, strlen(FP_A), a.sha256), 0);
	b = a;
	CHECK_INT(fingerprint_parse(HEX_B, strlen(HEX_B), b.sha256), 0);
	expired = a;
	expired.time_valid = 0;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		CHECK_INT(zone_public(s, paths[i].path), paths[i].public);

	/* require-certificate: any valid certificate. */
	CHECK_INT(zone_admit(&s->locations[0], &none), 60);
	CHECK_INT(zone_admit(&s->locations[0], NULL), 60);
	CHECK_INT(zone_admit(&s->locations[0], &a), 0);
	CHECK_INT(zone_admit(&s->locations[0], &b), 0);
	CHECK_INT(zone_admit(&s->locations[0], &expired), 62);
	/* allow-certificate: those only. */
	CHECK_INT(zone_admit(&s->locations[1], &none), 60);
	CHECK_INT(zone_admit(&s->locations[1], &a), 0);
	CHECK_INT(zone_admit(&s->locations[1], &b), 61);
	CHECK_INT(zone_admit(&s->locations[1], &expired), 62);
	/* A list file that names nobody lets nobody in. */
	CHECK_INT(zone_admit(&s->locations[2], &a), 61);
	/* No rule, no location. */
	CHECK_INT(zone_admit(&s->locations[3], &none), 0);
	CHECK_INT(zone_admit(NULL, &none), 0);
	/* Operators. */
	CHECK_INT(zone_operator(s, &none), 60);
	CHECK_INT(zone_operator(s, &a), 0);
	CHECK_INT(zone_operator(s, &b), 61);
	CHECK_INT(zone_operator(s, &expired), 62);
	CHECK_INT(zone_cert_in(&s->operators, a.sha256), 1);
	CHECK_INT(zone_cert_in(&s->operators, b.sha256), 0);
	conf_free(c);
}

/* The lists, as a reader would give them: by path, or "no such file". */
static char *
fake_read(void *arg, const char *path, size_t *len, const char **why)
{
	const char *const *files = arg;
	char *copy;

	for (; files[0] != NULL; files += 2)
		if (strcmp(files[0], path) == 0) {
			*len = strlen(files[1]);
			if ((copy = strdup(files[1])) == NULL)
				*why = "out of memory";
			return copy;
		}
	*why = "No such file or directory";
	return NULL;
}

static void
test_certlist(void)
{
	static const char *const files[] = {
		"/l/board.txt", "# board\n" FP_A " alice\n",
		"/l/ops.txt", HEX_B "\nbad line\n\n" FP_A "\n",
		NULL, NULL,
	};
	const char *text =
	    "site a { capsule c\n"
	    " titan on\n"
	    " titan-operator \"/l/ops.txt\"\n"
	    " location \"/b/*\" { allow-certificates \"/l/board.txt\" }\n"
	    " location \"/n/*\" { allow-certificates \"/l/nope.txt\" }\n"
	    "}\n";
	struct msgs m;
	struct conf_diag diag = { collect, &m, 0 };
	struct conf_site *s;
	struct conf *c;

	if ((c = parse_ok("a.conf", text)) == NULL)
		return;
	s = &c->sites[0];
	memset(&m, 0, sizeof(m));
	CHECK_INT(certlist_load_site(s, fake_read, (void *)files, &diag), -1);
	CHECK_STR(m.buf,
	    "5: allow-certificates: /l/nope.txt: No such file or directory\n"
	    "3: titan-operator: /l/ops.txt:2: not a SHA-256 fingerprint "
	    "(sha256: and 64 hex digits)\n");
	CHECK_INT(diag.errors, 2);
	CHECK_INT(s->locations[0].allow.nfp, 1);
	CHECK_INT(s->locations[0].allow.fp[0][0], 0x01);
	CHECK_INT(s->locations[1].allow.nfp, 0);
	CHECK_INT(s->operators.nfp, 2);
	CHECK_INT(s->operators.fp[0][0], 0xff);
	CHECK_INT(s->operators.fp[1][0], 0x01);
	conf_free(c);
}

int
main(void)
{
	test_fingerprint_parse();
	test_fingerprint_list();
	test_values();
	test_bad();
	test_zones();
	test_certlist();
	return unit_done("conf_access");
}
