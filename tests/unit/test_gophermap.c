/* Gemtext to Gopher menus: exact bytes for every line type and link kind,
 * then properties over generated and random pages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gophermap.h"
#include "unit.h"
#include "unit_evbuffer.h"
#include "utf8.h"
#include "width.h"

/* The end of every line from this server, and one info line. */
#define T		"\texample.org\t70\r\n"
#define I(row)		"i" row "\t" T
#define END		".\r\n"

/* Ten columns of ASCII, and nine plus a space. */
#define A10		"aaaaaaaaaa"
#define A60		A10 A10 A10 A10 A10 A10
#define W10		"123456789 "
#define W50		W10 W10 W10 W10 W10
#define W60		W50 W10
#define W59		W50 "123456789"

#define E10		"éééééééééé"
#define E60		E10 E10 E10 E10 E10 E10
#define K10		"漢漢漢漢漢漢漢漢漢漢"
#define K30		K10 K10 K10
#define DONT		"don’t "
#define DONT5		DONT DONT DONT DONT DONT

struct render_case {
	const char	*name;
	const char	*src;
	const char	*want;
	unsigned	 width;		/* 0: 67 */
};

static const struct render_case cases[] = {
	/* Pages and line types. */
	{ "empty page", "", END, 0 },
	{ "only a BOM", "\xef\xbb\xbf", END, 0 },
	{ "BOM then text", "\xef\xbb\xbfHi", I("Hi") END, 0 },
	{ "text", "Hello, world.", I("Hello, world.") END, 0 },
	{ "text LF", "Hello\n", I("Hello") END, 0 },
	{ "text CRLF", "Hello\r\nBye\r\n", I("Hello") I("Bye") END, 0 },
	{ "blank line", "\n", I("") END, 0 },
	{ "blank between", "a\n\nb", I("a") I("") I("b") END, 0 },
	{ "only spaces", "   \t ", I("") END, 0 },
	{ "indent kept", "  two", I("  two") END, 0 },
	{ "trailing blanks", "x   ", I("x") END, 0 },
	{ "inner spaces kept", "a  b", I("a  b") END, 0 },
	{ "tab in text", "a\tb", I("a b") END, 0 },
	{ "controls in text", "a\x01" "b\x7f" "c\xc2\x85" "d",
	    I("a b c d") END, 0 },
	{ "stray CR in text", "a\rb\r\n", I("a b") END, 0 },
	{ "lone dot", ".", I(".") END, 0 },
	{ "h1", "# Title", I("# Title") END, 0 },
	{ "h1 no space", "#Title", I("# Title") END, 0 },
	{ "h1 tab", "#\tTitle", I("# Title") END, 0 },
	{ "h1 empty", "#", I("#") END, 0 },
	{ "h2", "## Sub", I("## Sub") END, 0 },
	{ "h3", "### Sub sub", I("### Sub sub") END, 0 },
	{ "h4 is h3", "#### x", I("### # x") END, 0 },
	{ "list", "* item", I("* item") END, 0 },
	{ "list extra space", "*   item", I("* item") END, 0 },
	{ "list empty", "* ", I("*") END, 0 },
	{ "not a list", "*item", I("*item") END, 0 },
	{ "quote", "> said", I("> said") END, 0 },
	{ "quote no space", ">said", I("> said") END, 0 },
	{ "quote empty", ">", I(">") END, 0 },
	{ "link arrow alone", "=>", I("=>") END, 0 },
	{ "link arrow spaces", "=>   ", I("=>") END, 0 },

	/* Wrapping at 67 columns. */
	{ "67 columns stay", W60 "1234567", I(W60 "1234567") END, 0 },
	{ "68 columns wrap", W60 "12345678", I(W59) I("12345678") END, 0 },
	{ "long word 67", A60 "aaaaaaa", I(A60 "aaaaaaa") END, 0 },
	{ "long word broken", A60 A10, I(A60 "aaaaaaa") I("aaa") END, 0 },
	{ "long word after text", "x " A60 A10,
	    I("x") I(A60 "aaaaaaa") I("aaa") END, 0 },
	{ "blanks dropped at break", W60 "1234567   next",
	    I(W60 "1234567") I("next") END, 0 },
	{ "two-byte chars 67", E60 "ééééééé", I(E60 "ééééééé") END, 0 },
	{ "two-byte chars 68", E60 "éééééééé",
	    I(E60 "ééééééé") I("é") END, 0 },
	{ "three-byte chars", DONT5 DONT5 DONT "x",
	    I(DONT5 DONT5 DONT "x") END, 0 },
	{ "three-byte chars wrap", DONT5 DONT5 DONT "xy",
	    I(DONT5 DONT5 "don’t") I("xy") END, 0 },
	{ "wide chars 66 + 1", K30 "漢漢漢a", I(K30 "漢漢漢a") END, 0 },
	{ "wide chars 68", K30 "漢漢漢漢",
	    I(K30 "漢漢漢") I("漢") END, 0 },
	{ "wide char at column 67", "a" K30 "漢漢漢漢",
	    I("a" K30 "漢漢漢") I("漢") END, 0 },
	{ "fullwidth", "x" K30 "漢漢Ａ Ｂ",
	    I("x" K30 "漢漢Ａ") I("Ｂ") END, 0 },
	{ "combining stays", A60 "aaaaaae\xcc\x81" "e\xcc\x81",
	    I(A60 "aaaaaae\xcc\x81") I("e\xcc\x81") END, 0 },
	{ "zero width space", A60 "aaaaaaa\xe2\x80\x8b",
	    I(A60 "aaaaaaa\xe2\x80\x8b") END, 0 },
	{ "list hanging indent", "* " W60 "1234567",
	    I("* " W59) I("  1234567") END, 0 },
	{ "list long word", "* " A60 A10,
	    I("* " A60 "aaaaa") I("  aaaaa") END, 0 },
	{ "quote every row", "> " W60 "1234567 " W60 "1",
	    I("> " W59) I("> 1234567 " W10 W10 W10 W10 "123456789")
	    I("> 123456789 1") END, 0 },
	{ "heading wraps like text", "# " W60 "1234567",
	    I("# " W59) I("1234567") END, 0 },
	{ "width 20", "The quick brown fox jumps over the lazy dog.",
	    I("The quick brown fox") I("jumps over the lazy") I("dog.") END,
	    20 },
	{ "width 20 list", "* The quick brown fox jumps over the lazy dog.",
	    I("* The quick brown") I("  fox jumps over the") I("  lazy dog.")
	    END, 20 },
	{ "width 20 quote", "> The quick brown fox jumps over the lazy dog.",
	    I("> The quick brown") I("> fox jumps over the") I("> lazy dog.")
	    END, 20 },
	{ "width below minimum", "aaaaaaaaaaaa", I("aaaaaaaaaa") I("aa") END,
	    3 },

	/* Preformatted blocks. */
	{ "only pre with tabs", "```\n\tx\ta\nab\tc\n```\n",
	    I("        x       a") I("ab      c") END, 0 },
	{ "pre with alt text", "```ascii art\n a \n```",
	    I(" a ") END, 0 },
	{ "pre tabs after wide", "```\n漢\tx\n```", I("漢      x") END, 0 },
	{ "pre keeps markup", "```\n# no\n* no\n> no\n=> x.gmi no\n```",
	    I("# no") I("* no") I("> no") I("=> x.gmi no") END, 0 },
	{ "pre never wrapped", "```\n" A60 A10 A10 "\n```",
	    I(A60 A10 A10) END, 0 },
	{ "pre blank line", "```\n\n```", I("") END, 0 },
	{ "pre controls", "```\na\x01" "b\rc\n```", I("a b c") END, 0 },
	{ "pre closes", "```\nx\n```\n# h", I("x") I("# h") END, 0 },
	{ "pre closing alt ignored", "```\nx\n``` tail\ny",
	    I("x") I("y") END, 0 },
	{ "pre unclosed", "intro\n```\n# not heading\n=> not.gmi link",
	    I("intro") I("# not heading") I("=> not.gmi link") END, 0 },

	/* Local links from /dir/page.gmi. */
	{ "relative page", "=> other.gmi Other",
	    "1Other\t/dir/other.gmi" T END, 0 },
	{ "relative no label", "=> other.gmi",
	    "1other.gmi\t/dir/other.gmi" T END, 0 },
	{ "gemini extension", "=> old.gemini Old",
	    "1Old\t/dir/old.gemini" T END, 0 },
	{ "parent dir", "=> ../ Up", "1Up\t/" T END, 0 },
	{ "parent page", "=> ../up.gmi", "1../up.gmi\t/up.gmi" T END, 0 },
	{ "never above root", "=> ../../../../etc/x.txt",
	    "0../../../../etc/x.txt\t/etc/x.txt" T END, 0 },
	{ "dot segment encoded", "=> %2e%2e/s.gmi S", "1S\t/s.gmi" T END, 0 },
	{ "absolute path", "=> /abs/x.gmi Abs", "1Abs\t/abs/x.gmi" T END, 0 },
	{ "root", "=> / Home", "1Home\t/" T END, 0 },
	{ "sub dir", "=> sub/ Sub", "1Sub\t/dir/sub/" T END, 0 },
	{ "text file", "=> notes.txt Notes", "0Notes\t/dir/notes.txt" T END, 0 },
	{ "gif", "=> pic.gif A GIF", "gA GIF\t/dir/pic.gif" T END, 0 },
	{ "png", "=> pic.png A PNG", "IA PNG\t/dir/pic.png" T END, 0 },
	{ "jpeg upper case", "=> P.JPG Photo", "IPhoto\t/dir/P.JPG" T END, 0 },
	{ "pdf", "=> a.pdf PDF", "9PDF\t/dir/a.pdf" T END, 0 },
	{ "no extension", "=> data", "9data\t/dir/data" T END, 0 },
	{ "html file", "=> a.html Web page", "hWeb page\t/dir/a.html" T END, 0 },
	{ "query and fragment", "=> x.gmi?q=1#top X", "1X\t/dir/x.gmi" T END,
	    0 },
	{ "fragment only", "=> #top Top", "1Top\t/dir/page.gmi" T END, 0 },
	{ "percent-encoded", "=> my%20page.gmi Mine",
	    "1Mine\t/dir/my page.gmi" T END, 0 },
	{ "percent-encoded UTF-8", "=> caf%C3%A9.gmi",
	    "1caf%C3%A9.gmi\t/dir/café.gmi" T END, 0 },
	{ "raw UTF-8", "=> café.gmi Café", "1Café\t/dir/café.gmi" T END, 0 },
	{ "malformed escape kept", "=> 100%.gmi", "1100%.gmi\t/dir/100%.gmi"
	    T END, 0 },
	{ "encoded tab", "=> a%09b.gmi Tab", I("Tab (a%09b.gmi)") END, 0 },
	{ "encoded LF", "=> a%0Ab.gmi", I("a%0Ab.gmi") END, 0 },
	{ "encoded NUL", "=> a%00b.gmi Nul", I("Nul (a%00b.gmi)") END, 0 },
	{ "CR in URL", "=> a\rb.gmi L", I("L (a b.gmi)") END, 0 },
	{ "no space after arrow", "=>x.gmi X", "1X\t/dir/x.gmi" T END, 0 },
	{ "tab after arrow", "=>\tx.gmi\tX", "1X\t/dir/x.gmi" T END, 0 },
	{ "label with tabs", "=> x.gmi\tLabel\twith\ttabs\t",
	    "1Label with tabs\t/dir/x.gmi" T END, 0 },
	{ "label trimmed", "=> x.gmi   Label  ", "1Label\t/dir/x.gmi" T END,
	    0 },
	{ "label control chars", "=> x.gmi a\x01" "b", "1a b\t/dir/x.gmi" T
	    END, 0 },

	/* gemini:// links. */
	{ "gemini this host", "=> gemini://example.org/x.gmi Here",
	    "1Here\t/x.gmi" T END, 0 },
	{ "gemini this host and port", "=> gemini://example.org:1965/a/ A",
	    "1A\t/a/" T END, 0 },
	{ "gemini this host upper", "=> gemini://EXAMPLE.ORG./y.txt",
	    "0gemini://EXAMPLE.ORG./y.txt\t/y.txt" T END, 0 },
	{ "gemini this host no path", "=> GEMINI://example.org Home",
	    "1Home\t/" T END, 0 },
	{ "gemini this host encoded", "=> gemini://example.org/a%20b/../c.gmi",
	    "1gemini://example.org/a%20b/../c.gmi\t/c.gmi" T END, 0 },
	{ "gemini scheme-relative here", "=> //example.org/z.gmi Z",
	    "1Z\t/z.gmi" T END, 0 },
	{ "gemini other port", "=> gemini://example.org:1966/ P",
	    "hP\tURL:gemini://example.org:1966/" T END, 0 },
	{ "gemini userinfo", "=> gemini://u@example.org/ U",
	    "hU\tURL:gemini://u@example.org/" T END, 0 },
	{ "gemini elsewhere", "=> gemini://other.net/ Else",
	    "hElse\tURL:gemini://other.net/" T END, 0 },
	{ "gemini scheme-relative elsewhere", "=> //other.net/x",
	    "h//other.net/x\tURL:gemini://other.net/x" T END, 0 },

	/* Other schemes. */
	{ "https", "=> https://example.com/a?b=c&d=e Web",
	    "hWeb\tURL:https://example.com/a?b=c&d=e" T END, 0 },
	{ "http no label", "=> http://example.com/",
	    "hhttp://example.com/\tURL:http://example.com/" T END, 0 },
	{ "mailto", "=> mailto:me@example.org Mail",
	    "hMail\tURL:mailto:me@example.org" T END, 0 },
	{ "ftp upper", "=> FTP://ftp.example.org/f F",
	    "hF\tURL:FTP://ftp.example.org/f" T END, 0 },
	{ "irc", "=> irc://irc.example.org/#chan Chat",
	    "hChat\tURL:irc://irc.example.org/#chan" T END, 0 },
	{ "quotes in URL", "=> https://x.org/\"<'> Q",
	    "hQ\tURL:https://x.org/\"<'>" T END, 0 },
	{ "javascript refused", "=> javascript:alert(1) Click",
	    I("Click (javascript:alert(1))") END, 0 },
	{ "file refused", "=> file:///etc/passwd", I("file:///etc/passwd") END,
	    0 },
	{ "unknown scheme", "=> ssh://host Log in", I("Log in (ssh://host)")
	    END, 0 },
	{ "bad authority", "=> gemini://[::1/ V6", I("V6 (gemini://[::1/)")
	    END, 0 },

	/* gopher:// links. */
	{ "gopher menu", "=> gopher://g.net/1/sel G", "1G\t/sel\tg.net\t70\r\n"
	    END, 0 },
	{ "gopher port and type", "=> gopher://g.net:7070/0/a%20b.txt",
	    "0gopher://g.net:7070/0/a%20b.txt\t/a b.txt\tg.net\t7070\r\n" END,
	    0 },
	{ "gopher no path", "=> gopher://g.net", "1gopher://g.net\t\tg.net\t70\r\n"
	    END, 0 },
	{ "gopher root", "=> gopher://g.net/ Root", "1Root\t\tg.net\t70\r\n"
	    END, 0 },
	{ "gopher type only", "=> gopher://g.net/1 One", "1One\t\tg.net\t70\r\n"
	    END, 0 },
	{ "gopher query kept", "=> gopher://g.net/0/f?x=1#frag F",
	    "0F\t/f?x=1\tg.net\t70\r\n" END, 0 },
	{ "gopher image", "=> gopher://g.net/I/p.png P",
	    "IP\t/p.png\tg.net\t70\r\n" END, 0 },
	{ "gopher search string", "=> gopher://g.net/7/s%09term S",
	    I("S (gopher://g.net/7/s%09term)") END, 0 },
	{ "gopher port out of range", "=> gopher://g.net:70000/1/ X",
	    I("X (gopher://g.net:70000/1/)") END, 0 },
	{ "gopher no host", "=> gopher:///1/x X", I("X (gopher:///1/x)") END,
	    0 },
};

/* Relative links resolve against this page; gemini://example.org is us. */
static const struct gophermap_opts base_opts = {
	.host = "example.org",
	.port = 70,
	.width = 0,
	.page_path = "/dir/page.gmi",
	.gemini_host = "example.org",
	.gemini_port = 1965,
};

static void
test_cases(void)
{
	struct gophermap_opts o = base_opts;
	struct evbuffer *b;
	size_t i, len;
	char *got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((b = evbuffer_new()) == NULL)
			abort();
		o.width = cases[i].width;
		CHECK_INT(gophermap_render(b, cases[i].src,
		    strlen(cases[i].src), &o), 0);
		got = drain(b, &len);
		if (len != strlen(cases[i].want) ||
		    memcmp(got, cases[i].want, len) != 0)
			fprintf(stderr, "case \"%s\":\n", cases[i].name);
		CHECK_MEM(got, len, cases[i].want, strlen(cases[i].want));
		free(got);
		evbuffer_free(b);
	}
}

/* Options that change what counts as local. */
static void
test_opts(void)
{
	struct gophermap_opts o = base_opts;
	struct evbuffer *b;
	const char *want, *src;
	char longsrc[1100], *got;
	size_t len;

	if ((b = evbuffer_new()) == NULL)
		abort();

	/* No page path: relative links resolve against the root. */
	o.page_path = NULL;
	CHECK_INT(gophermap_render(b, "=> a/b.gmi", 10, &o), 0);
	got = drain(b, &len);
	want = "1a/b.gmi\t/a/b.gmi" T END;
	CHECK_MEM(got, len, want, strlen(want));
	free(got);

	/* A directory page: links resolve inside it. */
	o.page_path = "/dir/";
	CHECK_INT(gophermap_render(b, "=> b.gmi", 8, &o), 0);
	got = drain(b, &len);
	want = "1b.gmi\t/dir/b.gmi" T END;
	CHECK_MEM(got, len, want, strlen(want));
	free(got);

	/* No Gemini host: every gemini:// link leaves. */
	o.gemini_host = NULL;
	CHECK_INT(gophermap_render(b, "=> gemini://example.org/", 24, &o), 0);
	got = drain(b, &len);
	want = "hgemini://example.org/\tURL:gemini://example.org/" T END;
	CHECK_MEM(got, len, want, strlen(want));
	free(got);

	/* Another Gemini port: links without a port mean 1965. */
	o.gemini_host = "example.org.";
	o.gemini_port = 1966;
	src = "=> gemini://example.org:1966/x.gmi\n=> gemini://example.org/x";
	CHECK_INT(gophermap_render(b, src, strlen(src), &o), 0);
	got = drain(b, &len);
	want = "1gemini://example.org:1966/x.gmi\t/x.gmi" T
	    "hgemini://example.org/x\tURL:gemini://example.org/x" T END;
	CHECK_MEM(got, len, want, strlen(want));
	free(got);

	/* The site's aliases are local too; another host is not. */
	{
		static const char *const aliases[] = { "www.example.org" };

		o = base_opts;
		o.gemini_aliases = aliases;
		o.ngemini_aliases = 1;
		src = "=> gemini://WWW.example.org/a.gmi\n"
		    "=> gemini://lab.example.org/a.gmi";
		CHECK_INT(gophermap_render(b, src, strlen(src), &o), 0);
		got = drain(b, &len);
		want = "1gemini://WWW.example.org/a.gmi\t/a.gmi" T
		    "hgemini://lab.example.org/a.gmi\t"
		    "URL:gemini://lab.example.org/a.gmi" T END;
		CHECK_MEM(got, len, want, strlen(want));
		free(got);
	}

	/* Public host and port as given. */
	o = base_opts;
	o.host = "gopher.example.net";
	o.port = 7070;
	CHECK_INT(gophermap_render(b, "hi\n=> x.gmi", 11, &o), 0);
	got = drain(b, &len);
	want = "ihi\t\tgopher.example.net\t7070\r\n"
	    "1x.gmi\t/dir/x.gmi\tgopher.example.net\t7070\r\n" END;
	CHECK_MEM(got, len, want, strlen(want));
	free(got);

	/* A selector of 1024 bytes fits a request line; 1025 do not. */
	memcpy(longsrc, "=> /", 4);
	memset(longsrc + 4, 'x', 1023);
	memcpy(longsrc + 1027, " Fits", 6);
	o = base_opts;
	CHECK_INT(gophermap_render(b, longsrc, strlen(longsrc), &o), 0);
	got = drain(b, &len);
	CHECK(len > 1030 && memcmp(got, "9Fits\t/xxx", 10) == 0 &&
	    memcmp(got + 1030, "\texample.org", 12) == 0);
	free(got);

	memset(longsrc + 4, 'x', 1024);
	memcpy(longsrc + 1028, " Long", 6);
	CHECK_INT(gophermap_render(b, longsrc, strlen(longsrc), &o), 0);
	got = drain(b, &len);
	want = I("Long") I("(/xxx");
	CHECK(len > 40 && memcmp(got, want, 29) == 0);
	free(got);
	evbuffer_free(b);
}

/* The building blocks the server uses for listings and errors. */
static void
test_blocks(void)
{
	struct gophermap_opts o = base_opts;
	struct evbuffer *b;
	const char *want;
	size_t len;
	char *got;

	if ((b = evbuffer_new()) == NULL)
		abort();

	CHECK_INT(gophermap_item(b, '1', "a\tb\r\nc", 6, "/x\ty", 4,
	    "h\tost", 7070), 0);
	got = drain(b, &len);
	want = "1a b  c\t/x y\th ost\t7070\r\n";
	CHECK_MEM(got, len, want, strlen(want));
	free(got);

	CHECK_INT(gophermap_item(b, '\t', "x", 1, "", 0, NULL, 70), 0);
	got = drain(b, &len);
	want = "ix\t\t\t70\r\n";
	CHECK_MEM(got, len, want, strlen(want));
	free(got);

	CHECK_INT(gophermap_error(b, "Not found", "example.org", 70), 0);
	got = drain(b, &len);
	want = "3Not found" "\t" T END;
	CHECK_MEM(got, len, want, strlen(want));
	free(got);

	CHECK_INT(gophermap_error(b, "bad\tselector\r\n", "example.org", 70),
	    0);
	got = drain(b, &len);
	want = "3bad selector  " "\t" T END;
	CHECK_MEM(got, len, want, strlen(want));
	free(got);

	o.width = 20;
	CHECK_INT(gophermap_info(b, "The quick brown fox jumps", 25, &o), 0);
	got = drain(b, &len);
	want = I("The quick brown fox") I("jumps");
	CHECK_MEM(got, len, want, strlen(want));
	free(got);

	CHECK_INT(gophermap_info(b, "", 0, &o), 0);
	got = drain(b, &len);
	want = I("");
	CHECK_MEM(got, len, want, strlen(want));
	free(got);

	CHECK_INT(gophermap_end(b), 0);
	got = drain(b, &len);
	CHECK_MEM(got, len, END, 3);
	free(got);

	evbuffer_free(b);
}

/* xorshift64*: a fixed sequence, the same on every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static const char *const pieces[] = {
	"word", "a", "longerwordthatgoesonandon", "é", "’", "漢字", "Ａ",
	"e\xcc\x81", "\xe2\x80\x8b", "\xf0\x9f\x98\x80", " ", "  ", "\t", "\r",
	"\n", "\n\n", "\r\n", "# ", "## ", "### ", "* ", "> ", "=> ", "=>",
	"```", "\n```\n", "x.gmi", "../", "dir/", "%09", "%20", "%", "%00",
	"gemini://example.org/", "gemini://other/", "gopher://g/1/s",
	"gopher://g:99999/", "https://x/", "mailto:a@b", "javascript:x",
	"//h/p", "?q", "#f", ".", "\x01", "\x7f", "\xc2\x85",
	A60 A10 A10 A10 A10,
	"漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢漢",
};

/* A page of random pieces; with raw set, random bytes too. */
static size_t
gen_page(char *buf, size_t size, int raw, int no_pre)
{
	size_t n = 0, k, plen, count = rng() % 60;
	const char *p;
	char byte;

	for (k = 0; k < count; k++) {
		if (raw && rng() % 4 == 0) {
			byte = (char)(rng() & 0xff);
			p = &byte;
			plen = 1;
		} else {
			p = pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
			plen = strlen(p);
		}
		if (n + plen >= size)
			break;
		memcpy(buf + n, p, plen);
		n += plen;
	}
	/* Without toggles every info row is wrapped text. */
	if (no_pre)
		for (k = 0; k < n; k++)
			if (buf[k] == '`')
				buf[k] = '\'';
	return n;
}

/*
 * Every line ends in CRLF and has three TABs and a numeric port; the
 * menu ends with "."; info rows fit the width when check_width is set.
 */
static int
menu_ok(const char *m, size_t len, size_t width, int check_width)
{
	const char *line = m, *end = m + len, *nl, *p, *tab[3];
	size_t tabs;

	if (len < 3 || memcmp(end - 3, ".\r\n", 3) != 0)
		return 0;
	end -= 3;
	while (line < end) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL ||
		    nl == line || nl[-1] != '\r')
			return 0;
		tabs = 0;
		for (p = line; p < nl - 1; p++) {
			if (*p == '\r')
				return 0;
			if (*p == '\t') {
				if (tabs == 3)
					return 0;
				tab[tabs++] = p;
			}
		}
		if (tabs != 3 || tab[0] == line)
			return 0;
		if (tab[2] + 1 == nl - 1)
			return 0;
		for (p = tab[2] + 1; p < nl - 1; p++)
			if (*p < '0' || *p > '9')
				return 0;
		if (check_width && line[0] == 'i' &&
		    width_of(line + 1, (size_t)(tab[0] - line - 1)) > width)
			return 0;
		line = nl + 1;
	}
	return 1;
}

static void
test_properties(void)
{
	struct gophermap_opts o = base_opts;
	struct evbuffer *b;
	char page[4096], *got;
	size_t len, n, i, bad = 0, badutf8 = 0;
	int raw, no_pre;

	for (i = 0; i < 3000; i++) {
		raw = i % 3 == 2;
		no_pre = i % 2 == 0;
		n = gen_page(page, sizeof(page), raw, no_pre);
		o.width = i % 5 == 0 ? 0 : 10 + rng() % 70;
		if ((b = evbuffer_new()) == NULL)
			abort();
		CHECK_INT(gophermap_render(b, page, n, &o), 0);
		got = drain(b, &len);
		if (!menu_ok(got, len, o.width ? o.width : 67, no_pre)) {
			if (bad++ == 0)
				fprintf(stderr, "bad menu for:\n%.*s\n---\n%s\n",
				    (int)n, page, got);
		}
		/* No character is ever split: valid in, valid out. */
		if (utf8_valid(page, n) && !utf8_valid(got, len))
			badutf8++;
		free(got);
		evbuffer_free(b);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(badutf8, 0);
}

/* The checker's measure of a preformatted line is the renderer's. */
static void
test_pre_columns(void)
{
	static const struct {
		const char	*s;
		size_t		 cols;
	} pre_cases[] = {
		{ "", 0 },
		{ "abc", 3 },
		{ "\tx", 9 },
		{ "ab\tx", 9 },
		{ "abcdefgh\tx", 17 },
		{ "\xe6\x97\xa5\xe6\x9c\xac", 4 },	/* two wide */
		{ "e\xcc\x81", 1 },			/* e + combining */
		{ "a\x01" "b", 3 },			/* a control: a space */
		{ "\xff", 1 },				/* bad UTF-8 */
	};
	struct gophermap_opts o = base_opts;
	struct evbuffer *b;
	char src[64], *got;
	size_t i, len;

	for (i = 0; i < sizeof(pre_cases) / sizeof(pre_cases[0]); i++) {
		CHECK_INT(gophermap_pre_columns(pre_cases[i].s,
		    strlen(pre_cases[i].s)), pre_cases[i].cols);
		/* The rendered line is that many columns of ASCII here. */
		if ((b = evbuffer_new()) == NULL)
			abort();
		snprintf(src, sizeof(src), "```\n%s\n```", pre_cases[i].s);
		CHECK_INT(gophermap_render(b, src, strlen(src), &o), 0);
		got = drain(b, &len);
		if (strspn(pre_cases[i].s, "abcdefghx\t\x01") == strlen(pre_cases[i].s))
			CHECK_INT(strcspn(got, "\t") - 1, pre_cases[i].cols);
		free(got);
		evbuffer_free(b);
	}
}

/* Only paths outside /staff/ may be shown. */
static int
not_staff(const void *arg, const char *path)
{
	CHECK(arg == &base_opts);
	return strncmp(path, "/staff", 6) != 0;
}

/* Links into a protected zone are left out, whole. */
static void
test_visible(void)
{
	const char *src = "# Home\n=> /staff/ Staff\n=> ../staff/rota.txt\n"
	    "=> gemini://example.org/staff/x.gmi X\n=> a.gmi A\n"
	    "=> gemini://other.org/staff/ Other\n";
	struct gophermap_opts o = base_opts;
	struct evbuffer *b;
	const char *want;
	char *got;
	size_t len;

	o.visible = not_staff;
	o.visible_arg = &base_opts;
	if ((b = evbuffer_new()) == NULL)
		abort();
	CHECK_INT(gophermap_render(b, src, strlen(src), &o), 0);
	got = drain(b, &len);
	want = I("# Home")
	    "1A\t/dir/a.gmi" T
	    "hOther\tURL:gemini://other.org/staff/" T
	    END;
	CHECK_MEM(got, len, want, strlen(want));
	free(got);
	evbuffer_free(b);
}

/* A page given line by line (a program's output) renders as the whole. */
static void
test_lines(void)
{
	static const char src[] = "# Title\nsome text that is long enough "
	    "to be wrapped over more than one row of the menu, surely\n"
	    "```alt\npre\tline\n=> /not/a/link\n```\n=> /a.gmi A\n"
	    "* item\n> quote\nlast line, unended";
	struct gophermap_opts o = base_opts;
	struct evbuffer *whole, *parts;
	char *w, *p;
	size_t wl, pl, start, i;
	int in_pre = 0;

	if ((whole = evbuffer_new()) == NULL ||
	    (parts = evbuffer_new()) == NULL)
		abort();
	CHECK_INT(gophermap_render(whole, src, strlen(src), &o), 0);
	for (start = 0, i = 0; i < strlen(src); i++)
		if (src[i] == '\n') {
			CHECK_INT(gophermap_render_lines(parts, src + start,
			    i + 1 - start, &in_pre, &o), 0);
			start = i + 1;
		}
	CHECK_INT(in_pre, 0);
	CHECK_INT(gophermap_render_lines(parts, src + start,
	    strlen(src) - start, &in_pre, &o), 0);
	CHECK_INT(gophermap_end(parts), 0);
	w = drain(whole, &wl);
	p = drain(parts, &pl);
	CHECK_MEM(p, pl, w, wl);
	free(w);
	free(p);
	evbuffer_free(whole);
	evbuffer_free(parts);
}

int
main(void)
{
	test_lines();
	test_cases();
	test_opts();
	test_visible();
	test_blocks();
	test_properties();
	test_pre_columns();
	return unit_done("gophermap");
}
