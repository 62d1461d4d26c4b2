/* Display widths of code points and UTF-8 strings. */
#include "unit.h"
#include "width.h"

static void
test_cp(void)
{
	/* ASCII, Latin, punctuation: one column. */
	CHECK_INT(width_cp('a'), 1);
	CHECK_INT(width_cp(' '), 1);
	CHECK_INT(width_cp('~'), 1);
	CHECK_INT(width_cp(0x00e9), 1);		/* é */
	CHECK_INT(width_cp(0x2019), 1);		/* ’ */
	CHECK_INT(width_cp(0x00ad), 1);		/* soft hyphen shows */
	CHECK_INT(width_cp(0x00a0), 1);		/* no-break space */
	CHECK_INT(width_cp(0x1f1e6), 1);	/* regional indicator: N */
	CHECK_INT(width_cp(0xe000), 1);		/* private use */
	CHECK_INT(width_cp(0x10ffff), 1);

	/* Controls: no column (the renderer replaces them). */
	CHECK_INT(width_cp(0), 0);
	CHECK_INT(width_cp('\t'), 0);
	CHECK_INT(width_cp(0x7f), 0);
	CHECK_INT(width_cp(0x85), 0);
	CHECK_INT(width_cp(0x9f), 0);

	/* Combining marks and format characters: none. */
	CHECK_INT(width_cp(0x0300), 0);		/* combining grave */
	CHECK_INT(width_cp(0x0301), 0);
	CHECK_INT(width_cp(0x036f), 0);
	CHECK_INT(width_cp(0x0370), 1);
	CHECK_INT(width_cp(0x20dd), 0);		/* enclosing circle (Me) */
	CHECK_INT(width_cp(0x200b), 0);		/* zero width space */
	CHECK_INT(width_cp(0x200d), 0);		/* zero width joiner */
	CHECK_INT(width_cp(0x2060), 0);		/* word joiner */
	CHECK_INT(width_cp(0xfeff), 0);		/* BOM / ZWNBSP */
	CHECK_INT(width_cp(0xfe0f), 0);		/* variation selector 16 */
	CHECK_INT(width_cp(0xe0001), 0);	/* language tag */
	CHECK_INT(width_cp(0xe0100), 0);	/* variation selector 17 */
	CHECK_INT(width_cp(0x1160), 0);		/* Hangul jungseong */
	CHECK_INT(width_cp(0x11ff), 0);
	CHECK_INT(width_cp(0x3099), 0);		/* kana voiced mark: Mn, W */

	/* East Asian Wide and Fullwidth: two. */
	CHECK_INT(width_cp(0x1100), 2);		/* Hangul choseong */
	CHECK_INT(width_cp(0x3000), 2);		/* ideographic space (F) */
	CHECK_INT(width_cp(0x3042), 2);		/* あ */
	CHECK_INT(width_cp(0x30a2), 2);		/* ア */
	CHECK_INT(width_cp(0x4e00), 2);		/* 一 */
	CHECK_INT(width_cp(0x6f22), 2);		/* 漢 */
	CHECK_INT(width_cp(0x9fff), 2);		/* end of the block */
	CHECK_INT(width_cp(0xac00), 2);		/* 가 */
	CHECK_INT(width_cp(0xd7a3), 2);		/* last syllable */
	CHECK_INT(width_cp(0xff01), 2);		/* fullwidth ! */
	CHECK_INT(width_cp(0xff21), 2);		/* Ａ */
	CHECK_INT(width_cp(0xff61), 1);		/* halfwidth ｡ */
	CHECK_INT(width_cp(0xffe0), 2);		/* fullwidth ¢ */
	CHECK_INT(width_cp(0x1f600), 2);	/* 😀 */
	CHECK_INT(width_cp(0x1f680), 2);	/* 🚀 */
	CHECK_INT(width_cp(0x231a), 2);		/* ⌚ */
	CHECK_INT(width_cp(0x20000), 2);	/* CJK extension B */
	CHECK_INT(width_cp(0x2fffd), 2);	/* default W, unassigned */
	CHECK_INT(width_cp(0x31350), 2);	/* extension H, Unicode 15 */
	CHECK_INT(width_cp(0x1fae8), 2);	/* shaking face, Unicode 15 */
	CHECK_INT(width_cp(0x1b132), 2);	/* small ko, Unicode 15 */
}

static void
test_string(void)
{
	CHECK_INT(width_of("", 0), 0);
	CHECK_INT(width_of("abc", 3), 3);
	CHECK_INT(width_of("caf\xc3\xa9", 5), 4);
	CHECK_INT(width_of("don\xe2\x80\x99t", 7), 5);
	CHECK_INT(width_of("\xe6\xbc\xa2\xe5\xad\x97", 6), 4);	/* 漢字 */
	CHECK_INT(width_of("e\xcc\x81", 3), 1);			/* e + acute */
	CHECK_INT(width_of("a\xe2\x80\x8b" "b", 5), 2);		/* ZWSP */
	CHECK_INT(width_of("\xf0\x9f\x98\x80", 4), 2);		/* 😀 */
	/* Bytes that are not UTF-8 count one each. */
	CHECK_INT(width_of("a\xff" "b", 3), 3);
	CHECK_INT(width_of("\xe6\xbc", 2), 2);			/* truncated */
	CHECK_INT(width_of("\xc0\xaf", 2), 2);			/* overlong */
	CHECK_INT(width_of("\xed\xa0\x80", 3), 3);		/* surrogate */
	CHECK_INT(width_of("\x80\x80", 2), 2);
}

int
main(void)
{
	test_cp();
	test_string();
	return unit_done("width");
}
