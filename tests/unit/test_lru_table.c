/* Unit tests: the bounded hash table, least recently used out first. */
#include <stdint.h>
#include <string.h>

#include "lru_table.h"
#include "unit.h"

/* An owner's entry: its key bytes, and the table's node inside it. */
struct item {
	char			 name;
	const char		*key;
	size_t			 keylen;
	struct lru_node		 node;
};

/*
 * Keys that differ only where a careless table would not look: a prefix,
 * the empty key, a NUL inside, the same bytes in another order.
 */
static struct item items[] = {
	{ .name = 'a', .key = "a", .keylen = 1 },
	{ .name = 'b', .key = "ab", .keylen = 2 },
	{ .name = 'c', .key = "", .keylen = 0 },
	{ .name = 'd', .key = "a\0", .keylen = 2 },
	{ .name = 'e', .key = "\0a", .keylen = 2 },
	{ .name = 'f', .key = "ba", .keylen = 2 },
};
#define NITEMS	(sizeof(items) / sizeof(items[0]))

static struct item *
item(char name)
{
	size_t i;

	for (i = 0; i < NITEMS; i++)
		if (items[i].name == name)
			return &items[i];
	return NULL;
}

/* The name of the item whose node n is, or '-' for none. */
static char
name_of(const struct lru_node *n)
{
	return n == NULL ? '-' : LRU_ENTRY(n, struct item, node)->name;
}

enum op {
	INS,		/* insert; want: the victim's name, or "-" */
	INS_PINNED,	/* insert pinned; want "-" */
	FIND,		/* want "1" found (the same node), "0" not */
	TOUCH,
	REM,
	PIN,
	UNPIN,		/* want: the victim's name, or "-" */
	ORDER,		/* want: the names, least recently used first */
	COUNT		/* want: lru_count as a digit */
};

struct step {
	enum op		 op;
	char		 name;
	const char	*want;
};

/* At most 3 entries in the order; pinned ones besides. */
static const struct step script[] = {
	{ ORDER, 0, "" },
	{ COUNT, 0, "0" },
	{ FIND, 'a', "0" },
	{ INS, 'a', "-" },
	{ INS, 'b', "-" },
	{ INS, 'c', "-" },
	{ ORDER, 0, "abc" },
	{ COUNT, 0, "3" },
	{ FIND, 'a', "1" },
	{ FIND, 'b', "1" },
	{ FIND, 'c', "1" },
	{ FIND, 'd', "0" },
	{ FIND, 'e', "0" },
	{ FIND, 'f', "0" },
	/* A lookup leaves the order alone. */
	{ ORDER, 0, "abc" },
	/* Full: the least recently used goes. */
	{ INS, 'd', "a" },
	{ ORDER, 0, "bcd" },
	{ FIND, 'a', "0" },
	{ FIND, 'd', "1" },
	{ COUNT, 0, "3" },
	{ TOUCH, 'b', NULL },
	{ ORDER, 0, "cdb" },
	{ INS, 'e', "c" },
	{ ORDER, 0, "dbe" },
	/* The most recent touched again: no change. */
	{ TOUCH, 'e', NULL },
	{ ORDER, 0, "dbe" },
	{ TOUCH, 'd', NULL },
	{ ORDER, 0, "bed" },
	{ REM, 'e', NULL },
	{ ORDER, 0, "bd" },
	{ FIND, 'e', "0" },
	{ COUNT, 0, "2" },
	/* Pinned: found, not in the order, not counted by the bound. */
	{ PIN, 'b', NULL },
	{ ORDER, 0, "d" },
	{ FIND, 'b', "1" },
	{ COUNT, 0, "2" },
	{ INS, 'a', "-" },
	{ INS, 'c', "-" },
	{ ORDER, 0, "dac" },
	{ COUNT, 0, "4" },
	{ INS, 'e', "d" },
	{ ORDER, 0, "ace" },
	{ FIND, 'b', "1" },
	/* Unpinned: the most recent, and the bound holds again. */
	{ UNPIN, 'b', "a" },
	{ ORDER, 0, "ceb" },
	{ COUNT, 0, "3" },
	/* Inserted pinned: no victim even when the order is full. */
	{ INS_PINNED, 'f', "-" },
	{ ORDER, 0, "ceb" },
	{ COUNT, 0, "4" },
	{ FIND, 'f', "1" },
	{ REM, 'f', NULL },
	{ FIND, 'f', "0" },
	{ COUNT, 0, "3" },
	{ REM, 'c', NULL },
	{ REM, 'e', NULL },
	{ REM, 'b', NULL },
	{ ORDER, 0, "" },
	{ COUNT, 0, "0" },
	/* Taken out, put back. */
	{ INS, 'b', "-" },
	{ FIND, 'b', "1" },
	{ ORDER, 0, "b" },
	{ REM, 'b', NULL },
};

/* The order as names, least recently used first. */
static void
order_of(const struct lru_table *t, char *out, size_t outlen)
{
	const struct lru_node *n;
	size_t i = 0;

	for (n = lru_oldest(t); n != NULL && i + 1 < outlen;
	    n = TAILQ_NEXT(n, order))
		out[i++] = name_of(n);
	out[i] = '\0';
}

static void
run(size_t nbuckets, uint64_t seed)
{
	struct lru_table t;
	struct lru_node *n;
	const struct step *s;
	struct item *it;
	char got[16], one[2] = "";
	size_t i;

	CHECK_INT(lru_init(&t, nbuckets, 3, seed), 0);
	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		s = &script[i];
		it = s->name ? item(s->name) : NULL;
		switch (s->op) {
		case INS:
		case INS_PINNED:
			n = lru_insert(&t, &it->node, it->key, it->keylen,
			    s->op == INS_PINNED);
			one[0] = name_of(n);
			CHECK_STR(one, s->want);
			break;
		case FIND:
			n = lru_find(&t, it->key, it->keylen);
			CHECK_INT(n != NULL, s->want[0] == '1');
			if (n != NULL)
				CHECK(n == &it->node);
			break;
		case TOUCH:
			lru_touch(&t, &it->node);
			break;
		case REM:
			lru_remove(&t, &it->node);
			break;
		case PIN:
			lru_pin(&t, &it->node);
			CHECK(lru_pinned(&it->node));
			break;
		case UNPIN:
			n = lru_unpin(&t, &it->node);
			CHECK(!lru_pinned(&it->node));
			one[0] = name_of(n);
			CHECK_STR(one, s->want);
			break;
		case ORDER:
			order_of(&t, got, sizeof(got));
			CHECK_STR(got, s->want);
			break;
		case COUNT:
			CHECK_INT(lru_count(&t), s->want[0] - '0');
			break;
		}
		if (unit_failures > 0) {
			fprintf(stderr, "  at step %zu, %zu buckets\n", i,
			    nbuckets);
			break;
		}
	}
	lru_fini(&t);
}

/* The same script whatever the chains: one bucket is all collisions. */
static void
test_script(void)
{
	run(1, 0);
	run(2, 0);
	run(4, 0x0123456789abcdefULL);
	run(1024, 0);
	run(1024, UINT64_MAX);
}

static void
test_init(void)
{
	static const struct {
		size_t	 nbuckets, max;
		int	 want;
	} cases[] = {
		{ 1, 1, 0 },
		{ 8, 100, 0 },
		{ 0, 1, -1 },
		{ 3, 1, -1 },
		{ 6, 1, -1 },
		{ 8, 0, -1 },
	};
	struct lru_table t;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(lru_init(&t, cases[i].nbuckets, cases[i].max, 0),
		    cases[i].want);
		if (cases[i].want == 0) {
			CHECK_INT(lru_count(&t), 0);
			CHECK(lru_oldest(&t) == NULL);
			CHECK(lru_next(&t, NULL) == NULL);
		}
		lru_fini(&t);
	}
}

/* FNV-1a's published values, folded; a seed moves them. */
static void
test_hash(void)
{
	static const struct {
		const char	*s;
		size_t		 len;
		uint64_t	 fnv;
	} cases[] = {
		{ "", 0, 0xcbf29ce484222325ULL },
		{ "a", 1, 0xaf63dc4c8601ec8cULL },
		{ "foobar", 6, 0x85944171f73967e8ULL },
	};
	uint64_t h;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		h = cases[i].fnv;
		CHECK(lru_hash(0, cases[i].s, cases[i].len) == (h ^ h >> 32));
		CHECK(lru_hash(1, cases[i].s, cases[i].len) !=
		    lru_hash(0, cases[i].s, cases[i].len));
	}
	CHECK(lru_hash(0, "ab", 2) != lru_hash(0, "ba", 2));
}

/* lru_next sees every entry once, pinned or not. */
static void
test_next(void)
{
	static struct item many[200];
	static char keys[200][4];
	struct lru_table t;
	struct lru_node *n;
	int seen[200] = { 0 }, i, once = 1, total = 0;

	CHECK_INT(lru_init(&t, 16, 1000, 7), 0);
	for (i = 0; i < 200; i++) {
		keys[i][0] = (char)('0' + i / 100);
		keys[i][1] = (char)('0' + i / 10 % 10);
		keys[i][2] = (char)('0' + i % 10);
		many[i].key = keys[i];
		many[i].keylen = 3;
		CHECK(lru_insert(&t, &many[i].node, keys[i], 3, i % 3 == 0) ==
		    NULL);
	}
	CHECK_INT(lru_count(&t), 200);
	for (n = lru_next(&t, NULL); n != NULL; n = lru_next(&t, n)) {
		i = (int)(LRU_ENTRY(n, struct item, node) - many);
		once &= seen[i]++ == 0;
		total++;
	}
	CHECK(once);
	CHECK_INT(total, 200);
	for (i = 0; i < 200; i++)
		CHECK(lru_find(&t, keys[i], 3) == &many[i].node);
	lru_fini(&t);
}

/*
 * Two keys whose hashes agree in the 32 bits the table keeps: the bytes
 * tell them apart.
 */
static void
test_collision(void)
{
	static struct item x = { .name = 'x', .key = "/pziigaa", .keylen = 8 };
	static struct item y = { .name = 'y', .key = "/pdhkeaa", .keylen = 8 };
	struct lru_table t;

	CHECK((uint32_t)lru_hash(0, x.key, 8) == (uint32_t)lru_hash(0, y.key,
	    8));
	CHECK_INT(lru_init(&t, 1024, 2, 0), 0);
	CHECK(lru_insert(&t, &x.node, x.key, 8, 0) == NULL);
	CHECK(lru_find(&t, y.key, 8) == NULL);
	CHECK(lru_insert(&t, &y.node, y.key, 8, 0) == NULL);
	CHECK(lru_find(&t, x.key, 8) == &x.node);
	CHECK(lru_find(&t, y.key, 8) == &y.node);
	lru_remove(&t, &x.node);
	CHECK(lru_find(&t, x.key, 8) == NULL);
	CHECK(lru_find(&t, y.key, 8) == &y.node);
	lru_fini(&t);
}

/* A small deterministic generator, for test_model. */
static uint32_t
next_random(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/*
 * Random steps against a model (an entry's state and when it was last
 * used): the victims, the order's head, every lookup and the count agree.
 */
static void
test_model(void)
{
	enum { NKEYS = 48, MAX = 12, STEPS = 20000 };
	enum { ABSENT, ORDERED, PINNED };
	static struct item e[NKEYS];
	static unsigned char keys[NKEYS][2];
	int state[NKEYS] = { 0 }, used[NKEYS] = { 0 };
	int i, k, oldest, nordered, count, clock = 0, agree = 1;
	struct lru_table t;
	struct lru_node *n;
	uint32_t x = 2463534242u;

	CHECK_INT(lru_init(&t, 8, MAX, 99), 0);
	for (k = 0; k < NKEYS; k++) {
		/* Two bytes, the second often 0: lengths 1 and 2 mixed. */
		keys[k][0] = (unsigned char)(k % 16);
		keys[k][1] = (unsigned char)(k / 16);
		e[k].keylen = k < 16 ? 1 : 2;
	}
	for (i = 0; i < STEPS && agree; i++) {
		k = (int)(next_random(&x) % NKEYS);
		n = NULL;
		switch (next_random(&x) % 6) {
		case 0:		/* insert, or touch what is there */
		case 1:
			if (state[k] == ABSENT) {
				n = lru_insert(&t, &e[k].node, keys[k],
				    e[k].keylen, next_random(&x) % 4 == 0);
				state[k] = lru_pinned(&e[k].node) ? PINNED :
				    ORDERED;
			} else if (state[k] == ORDERED)
				lru_touch(&t, &e[k].node);
			used[k] = ++clock;
			break;
		case 2:
			if (state[k] != ABSENT)
				lru_remove(&t, &e[k].node);
			state[k] = ABSENT;
			break;
		case 3:
			if (state[k] == ORDERED) {
				lru_pin(&t, &e[k].node);
				state[k] = PINNED;
			}
			break;
		case 4:
			if (state[k] == PINNED) {
				n = lru_unpin(&t, &e[k].node);
				state[k] = ORDERED;
				used[k] = ++clock;
			}
			break;
		default:
			break;
		}
		/* The model's victim: the least recently used, if over. */
		oldest = -1;
		nordered = count = 0;
		for (k = 0; k < NKEYS; k++) {
			if (state[k] == ORDERED && (oldest == -1 ||
			    used[k] < used[oldest]))
				oldest = k;
			nordered += state[k] == ORDERED;
			count += state[k] != ABSENT;
		}
		if (nordered > MAX) {
			agree &= n == &e[oldest].node;
			state[oldest] = ABSENT;
			count--;
			oldest = -1;
			for (k = 0; k < NKEYS; k++)
				if (state[k] == ORDERED && (oldest == -1 ||
				    used[k] < used[oldest]))
					oldest = k;
		} else
			agree &= n == NULL;
		agree &= lru_count(&t) == (size_t)count;
		agree &= lru_oldest(&t) == (oldest == -1 ? NULL :
		    &e[oldest].node);
		for (k = 0; k < NKEYS; k++)
			agree &= lru_find(&t, keys[k], e[k].keylen) ==
			    (state[k] == ABSENT ? NULL : &e[k].node);
	}
	CHECK(agree);
	CHECK_INT(i, STEPS);
	lru_fini(&t);
}

int
main(void)
{
	test_init();
	test_hash();
	test_script();
	test_collision();
	test_next();
	test_model();
	return unit_done("lru_table");
}
