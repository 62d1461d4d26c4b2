/* The words of a text, folded for search (pure). */
#include <string.h>

#include "utf8.h"
#include "words.h"

/* U+00C0 to U+00FF without their accents; "" for × and ÷. */
static const char *const latin1[64] = {
	"a", "a", "a", "a", "a", "a", "ae", "c",	/* À Á Â Ã Ä Å Æ Ç */
	"e", "e", "e", "e", "i", "i", "i", "i",		/* È É Ê Ë Ì Í Î Ï */
	"d", "n", "o", "o", "o", "o", "o", "",		/* Ð Ñ Ò Ó Ô Õ Ö × */
	"o", "u", "u", "u", "u", "y", "th", "ss",	/* Ø Ù Ú Û Ü Ý Þ ß */
	"a", "a", "a", "a", "a", "a", "ae", "c",	/* à á â ã ä å æ ç */
	"e", "e", "e", "e", "i", "i", "i", "i",		/* è é ê ë ì í î ï */
	"d", "n", "o", "o", "o", "o", "o", "",		/* ð ñ ò ó ô õ ö ÷ */
	"o", "u", "u", "u", "u", "y", "th", "y",	/* ø ù ú û ü ý þ ÿ */
};

/* U+0100 to U+017F (Latin Extended-A), the same way. */
static const char *const latin_ext_a[128] = {
	"a", "a", "a", "a", "a", "a", "c", "c",		/* 0100 Ā ā Ă ă Ą ą Ć ć */
	"c", "c", "c", "c", "c", "c", "d", "d",		/* 0108 Ĉ ĉ Ċ ċ Č č Ď ď */
	"d", "d", "e", "e", "e", "e", "e", "e",		/* 0110 Đ đ Ē ē Ĕ ĕ Ė ė */
	"e", "e", "e", "e", "g", "g", "g", "g",		/* 0118 Ę ę Ě ě Ĝ ĝ Ğ ğ */
	"g", "g", "g", "g", "h", "h", "h", "h",		/* 0120 Ġ ġ Ģ ģ Ĥ ĥ Ħ ħ */
	"i", "i", "i", "i", "i", "i", "i", "i",		/* 0128 Ĩ ĩ Ī ī Ĭ ĭ Į į */
	"i", "i", "ij", "ij", "j", "j", "k", "k",	/* 0130 İ ı Ĳ ĳ Ĵ ĵ Ķ ķ */
	"k", "l", "l", "l", "l", "l", "l", "l",		/* 0138 ĸ Ĺ ĺ Ļ ļ Ľ ľ Ŀ */
	"l", "l", "l", "n", "n", "n", "n", "n",		/* 0140 ŀ Ł ł Ń ń Ņ ņ Ň */
	"n", "n", "n", "n", "o", "o", "o", "o",		/* 0148 ň ŉ Ŋ ŋ Ō ō Ŏ ŏ */
	"o", "o", "oe", "oe", "r", "r", "r", "r",	/* 0150 Ő ő Œ œ Ŕ ŕ Ŗ ŗ */
	"r", "r", "s", "s", "s", "s", "s", "s",		/* 0158 Ř ř Ś ś Ŝ ŝ Ş ş */
	"s", "s", "t", "t", "t", "t", "t", "t",		/* 0160 Š š Ţ ţ Ť ť Ŧ ŧ */
	"u", "u", "u", "u", "u", "u", "u", "u",		/* 0168 Ũ ũ Ū ū Ŭ ŭ Ů ů */
	"u", "u", "u", "u", "w", "w", "y", "y",		/* 0170 Ű ű Ų ų Ŵ ŵ Ŷ ŷ */
	"y", "z", "z", "z", "z", "z", "z", "s",		/* 0178 Ÿ Ź ź Ż ż Ž ž ſ */
};

/* Ranges of code points that separate words (inclusive, sorted). */
static const uint32_t separators[][2] = {
	{ 0x0080, 0x00bf },	/* C1 controls, Latin-1 punctuation, symbols */
	{ 0x00d7, 0x00d7 },	/* × */
	{ 0x00f7, 0x00f7 },	/* ÷ */
	{ 0x037e, 0x037e },	/* Greek question mark */
	{ 0x0387, 0x0387 },	/* Greek ano teleia */
	{ 0x055a, 0x055f },	/* Armenian punctuation */
	{ 0x0589, 0x058a },
	{ 0x05be, 0x05be },	/* Hebrew punctuation */
	{ 0x05c0, 0x05c0 },
	{ 0x05c3, 0x05c3 },
	{ 0x05f3, 0x05f4 },
	{ 0x060c, 0x060d },	/* Arabic punctuation */
	{ 0x061b, 0x061f },
	{ 0x066a, 0x066d },
	{ 0x06d4, 0x06d4 },
	{ 0x0964, 0x0965 },	/* Devanagari danda */
	{ 0x0e4f, 0x0e4f },	/* Thai */
	{ 0x0e5a, 0x0e5b },
	{ 0x1680, 0x1680 },	/* Ogham space */
	{ 0x2000, 0x2bff },	/* spaces, punctuation, symbols, arrows, math */
	{ 0x2e00, 0x2e7f },	/* supplemental punctuation */
	{ 0x3000, 0x303f },	/* CJK symbols and punctuation */
	{ 0xd800, 0xdfff },	/* surrogates (never decoded) */
	{ 0xe000, 0xf8ff },	/* private use */
	{ 0xfe10, 0xfe1f },	/* vertical forms */
	{ 0xfe30, 0xfe6f },	/* CJK compatibility forms, small forms */
	{ 0xfeff, 0xfeff },	/* byte order mark */
	{ 0xff00, 0xff0f },	/* fullwidth punctuation */
	{ 0xff1a, 0xff20 },
	{ 0xff3b, 0xff40 },
	{ 0xff5b, 0xff65 },
	{ 0xfff0, 0xffff },	/* specials */
	{ 0x1f000, 0x1faff },	/* emoji, cards, tiles */
	{ 0xe0000, 0x10ffff },	/* tags, private use */
};

int
words_is_word_cp(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(separators) / sizeof(separators[0]), mid;

	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9');
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < separators[mid][0])
			hi = mid;
		else if (cp > separators[mid][1])
			lo = mid + 1;
		else
			return 0;
	}
	return 1;
}

static size_t
encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static size_t
spelt(const char *s, char out[4])
{
	size_t n = strlen(s);

	memcpy(out, s, n);
	return n;
}

size_t
words_fold_cp(uint32_t cp, char out[4])
{
	if (cp >= 'A' && cp <= 'Z')
		cp += 'a' - 'A';
	else if (cp >= 0xc0 && cp <= 0xff)
		return spelt(latin1[cp - 0xc0], out);
	else if (cp >= 0x100 && cp <= 0x17f)
		return spelt(latin_ext_a[cp - 0x100], out);
	else if (cp >= 0x300 && cp <= 0x36f)
		return 0;		/* combining diacritical marks */
	else if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2)
		cp += 0x20;		/* Greek capitals */
	else if (cp >= 0x410 && cp <= 0x42f)
		cp += 0x20;		/* Cyrillic capitals */
	else if (cp >= 0x400 && cp <= 0x40f)
		cp += 0x50;		/* Ѐ to Џ */
	return encode(cp, out);
}

void
words_init(struct words_iter *it, const char *s, size_t len)
{
	it->s = s;
	it->len = len;
	it->pos = 0;
}

/* An ASCII letter or digit, folded; 0 for any other byte below 0x80. */
static char
ascii_word(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c + 'a' - 'A');
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return (char)c;
	return 0;
}

int
words_next(struct words_iter *it, struct word *w)
{
	const unsigned char *s = (const unsigned char *)it->s;
	char f[4], a;
	uint32_t cp;
	size_t n, k;
	int full;

	for (;;) {
		/* Up to the next word character. */
		for (;;) {
			if (it->pos >= it->len)
				return 0;
			if (s[it->pos] < 0x80) {
				if (ascii_word(s[it->pos]))
					break;
				it->pos++;
				continue;
			}
			n = utf8_decode(it->s + it->pos, it->len - it->pos,
			    &cp);
			if (n > 0 && words_is_word_cp(cp))
				break;
			it->pos += n > 0 ? n : 1;
		}
		w->start = it->pos;
		w->len = 0;
		full = 0;
		while (it->pos < it->len) {
			/* Most text is ASCII: no decoding for it. */
			if (s[it->pos] < 0x80) {
				if ((a = ascii_word(s[it->pos])) == 0)
					break;
				it->pos++;
				if (!full && w->len < WORD_MAX)
					w->text[w->len++] = a;
				else
					full = 1;
				continue;
			}
			n = utf8_decode(it->s + it->pos, it->len - it->pos,
			    &cp);
			if (n == 0 || !words_is_word_cp(cp))
				break;
			it->pos += n;
			k = words_fold_cp(cp, f);
			/* A long word is cut at a character. */
			if (full || w->len + k > WORD_MAX) {
				full = 1;
				continue;
			}
			memcpy(w->text + w->len, f, k);
			w->len += k;
		}
		w->end = it->pos;
		w->text[w->len] = '\0';
		if (w->len > 0)
			return 1;
	}
}
