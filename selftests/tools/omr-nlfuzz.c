// SPDX-License-Identifier: GPL-2.0
/*
 * omr-nlfuzz: send many generated requests, most of them malformed, to the
 * "omr" generic netlink family and check every answer.
 *
 *   omr-nlfuzz [-n COUNT] [-s SEED] [-t TIMEOUT_MS] [-v] [-f FAMILY]
 *
 * Each request is built as one of three classes, and the class says what
 * the answer must be:
 *
 *   valid      well-formed, as uapi/linux/omr.h documents it: the GET
 *              commands must succeed; SET_PM, PATH_ADD and PATH_DEL may be
 *              refused for a reason of state (EEXIST, ENOENT, ENOSPC), which
 *              is counted, not judged;
 *   malformed  carries at least one defect that the header documents as an
 *              error whatever else is in the request: an unknown command, a
 *              dump of a do-only command (or the reverse), a flag bit or a
 *              genl reserved byte genetlink refuses, a genl header cut
 *              short, an attribute of type 0, of an unknown type, reply-only
 *              or not valid for the command, a nest without NLA_F_NESTED or
 *              a non-nest with it, a wrong length, an out-of-range value,
 *              a bad nla_len or truncated attribute header (at the top or
 *              inside a nest), a string without NUL or too long, an invalid
 *              device name, a required attribute missing: it must fail;
 *   unknown    random bytes, bit flips of a valid SET_PM/PATH_ADD/PATH_DEL,
 *              valid requests cut short: anything may happen except a crash
 *              or a stall, so only the errors are counted.
 *
 * Attribute ids, commands and flag bits come from uapi/linux/omr.h; those
 * newer than this model (past the *_LAST defines below) are only ever sent
 * in "unknown" requests, so a later ABI does not make this tool wrong.
 *
 * It reads every answer: the ACK or error of a do (a request without
 * NLM_F_ACK is followed, in the same send, by an NLMSG_NOOP with NLM_F_ACK
 * whose ACK says the first one was answered), every part of a dump up to its
 * NLMSG_DONE. Every receive has a timeout; a request that gets no complete
 * answer in time is a stall.
 *
 * Run it only as root in a scratch network namespace: the valid and the
 * mutated requests change the path manager's configuration there (paths
 * named fz0..fz7 and random names, PM on and off).
 *
 * -f sends the same requests to another family (its answers are then judged
 * by omr's rules, wrongly): for running the tool itself under sanitizers on
 * a machine without omr.ko.
 *
 * Prints a summary ("summary key=value ...") and exits 0 if every malformed
 * request failed, every valid GET succeeded and nothing stalled; 1 if not;
 * 2 on bad usage; 3 if the family "omr" is not there.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <net/if.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/omr.h>

/* The ABI this model knows; anything past these is newer than the model. */
#define KNOWN_CMD_LAST OMR_CMD_GET_CONNS
#define KNOWN_A_LAST OMR_A_CONN
#define KNOWN_PM_A_LAST OMR_PM_A_CONNS
#define KNOWN_PATH_A_LAST OMR_PATH_A_HEALTH

#define MSG_MAX 65536		/* nlmsg_len and nla_len stay below 64 KiB */
#define RX_MAX (1 << 17)
#define NERRNO 4096
#define NPOOL 8			/* valid path names fz0..fz7 */
#define MAX_REPORT 10		/* malformed successes printed in full */

enum cls { CLS_VALID, CLS_MALFORMED, CLS_UNKNOWN, NCLS };
static const char *const cls_name[NCLS] = { "valid", "malformed", "unknown" };

struct msg {
	uint8_t buf[MSG_MAX];
	size_t len;
	enum cls cls;
	const char *kind;
	uint8_t cmd;
	uint16_t flags;
	bool dump;		/* both NLM_F_DUMP bits: answered by NLMSG_DONE */
};

struct stats {
	unsigned long sent[NCLS], ok[NCLS], err[NCLS];
	unsigned long err_by[NCLS][NERRNO];
	unsigned long data_msgs, dumps_done, barriers, stray, stalls;
	unsigned long valid_get_fail;
	unsigned int reported;
};

static uint64_t rng;
static int family;
static int fd;
static uint32_t seq;
static bool verbose;
static struct stats st;
static struct msg m;

/* ---- random numbers (xorshift64*: reproducible from the seed) ---------- */

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return rn(100) < pct;
}

/* ---- building requests ------------------------------------------------- */

static size_t space(void)
{
	return MSG_MAX - m.len;
}

static void put(const void *p, size_t n)
{
	if (n > space())
		n = space();
	if (!n)
		return;
	memcpy(m.buf + m.len, p, n);
	m.len += n;
}

static void put_rand(size_t n)
{
	while (n-- && space())
		m.buf[m.len++] = rnd();
}

static void pad4(void)
{
	while (m.len % 4 && space())
		m.buf[m.len++] = 0;
}

/* An attribute header whose nla_len attr_end() fills in. */
static size_t attr_start(uint16_t type)
{
	struct nlattr a = { .nla_len = NLA_HDRLEN, .nla_type = type };
	size_t off = m.len;

	put(&a, sizeof(a));
	return off;
}

static void attr_end(size_t off)
{
	struct nlattr *a = (struct nlattr *)(m.buf + off);

	a->nla_len = m.len - off;
	pad4();
}

static void put_attr(uint16_t type, const void *data, size_t n)
{
	size_t off = attr_start(type);

	put(data, n);
	attr_end(off);
}

static void put_u8(uint16_t type, uint8_t v)
{
	put_attr(type, &v, 1);
}

static void put_u32(uint16_t type, uint32_t v)
{
	put_attr(type, &v, 4);
}

static void put_str(uint16_t type, const char *s)
{
	put_attr(type, s, strlen(s) + 1);
}

static void msg_init(uint8_t cmd, uint16_t flags, enum cls cls, const char *kind)
{
	struct nlmsghdr nlh = { .nlmsg_type = family, .nlmsg_flags = flags };
	struct genlmsghdr g = { .cmd = cmd, .version = OMR_GENL_VERSION };

	m.len = 0;
	m.cls = cls;
	m.kind = kind;
	m.cmd = cmd;
	m.flags = flags;
	m.dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
	put(&nlh, sizeof(nlh));
	put(&g, sizeof(g));
}

static bool cmd_is_dump(uint8_t cmd)
{
	return cmd == OMR_CMD_GET_PATHS || cmd == OMR_CMD_GET_CONNS;
}

static bool cmd_is_get(uint8_t cmd)
{
	return cmd == OMR_CMD_GET_STATUS || cmd_is_dump(cmd);
}

/* Flags genetlink accepts: REQUEST, maybe ACK and ECHO, DUMP for dumps. */
static uint16_t good_flags(bool dump)
{
	uint16_t f = NLM_F_REQUEST;

	if (dump)
		f |= NLM_F_DUMP;
	if (chance(50))
		f |= NLM_F_ACK;
	if (!dump && chance(10))
		f |= NLM_F_ECHO;
	return f;
}

static uint8_t known_cmd(void)
{
	return 1 + rn(KNOWN_CMD_LAST);
}

static void pool_name(char *buf)
{
	snprintf(buf, 8, "fz%u", rn(NPOOL));
}

/* The attributes of a valid request of @cmd. */
static void valid_body(uint8_t cmd)
{
	char name[8];
	size_t nest;
	int which;

	switch (cmd) {
	case OMR_CMD_SET_PM:
		nest = attr_start(OMR_A_PM | NLA_F_NESTED);
		which = 1 + rn(3);
		if (which & 1)
			put_u8(OMR_PM_A_ENABLED, rn(2));
		if (which & 2)
			put_u8(OMR_PM_A_ADD_ADDR_ACCEPT, rn(2));
		attr_end(nest);
		break;
	case OMR_CMD_PATH_ADD:
	case OMR_CMD_PATH_DEL:
		pool_name(name);
		nest = attr_start(OMR_A_PATH | NLA_F_NESTED);
		if (cmd == OMR_CMD_PATH_ADD && chance(50)) {
			put_u32(OMR_PATH_A_FLAGS, rnd() & OMR_PATH_F_MASK);
			put_str(OMR_PATH_A_IFNAME, name);
		} else {
			put_str(OMR_PATH_A_IFNAME, name);
			if (cmd == OMR_CMD_PATH_ADD && chance(50))
				put_u32(OMR_PATH_A_FLAGS, rnd() & OMR_PATH_F_MASK);
		}
		attr_end(nest);
		break;
	default:
		break;
	}
}

static void gen_valid(void)
{
	uint8_t cmd = known_cmd();

	msg_init(cmd, good_flags(cmd_is_dump(cmd)), CLS_VALID, "valid");
	valid_body(cmd);
}

/* A well-framed attribute of any type and content (good or bad). */
static void put_any(int depth)
{
	uint16_t type = rn(4) ? rn(64) : rnd();
	size_t off;
	int i, n;

	if (depth < 12 && chance(30)) {
		off = attr_start(type | NLA_F_NESTED);
		n = rn(4);
		for (i = 0; i < n; i++)
			put_any(depth + 1);
		attr_end(off);
		return;
	}
	type &= ~NLA_F_NESTED;
	off = attr_start(type);
	put_rand(chance(2) ? rn(4000) : rn(24));
	attr_end(off);
}

/* A nest that ends deeper than any policy goes, every level of type @type. */
static void put_deep(uint16_t type, int depth)
{
	size_t off = attr_start(type | NLA_F_NESTED);

	if (depth > 0)
		put_deep(type, depth - 1);
	else
		put_rand(rn(8));
	attr_end(off);
}

/*
 * Bytes that no attribute parser accepts, for the end of an attribute
 * stream (top level or inside a nest): a header cut short, an nla_len
 * below the header's size, an nla_len past the end.
 */
static void put_bad_trailer(size_t end_slack)
{
	struct nlattr a;
	size_t k;

	switch (rn(3)) {
	case 0:
		put_rand(1 + rn(3));
		break;
	case 1:
		a.nla_len = rn(NLA_HDRLEN);
		a.nla_type = rnd();
		put(&a, sizeof(a));
		put_rand(rn(8));
		break;
	default:
		k = rn(16);
		a.nla_len = NLA_HDRLEN + k + 1 + end_slack + rn(200);
		a.nla_type = rnd();
		put(&a, sizeof(a));
		put_rand(k);
		break;
	}
}

/* An attribute of @type with a length other than @len. */
static void put_wrong_len(uint16_t type, size_t len)
{
	static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 8, 16 };
	size_t n, off;

	do
		n = lens[rn(sizeof(lens) / sizeof(lens[0]))];
	while (n == len);
	off = attr_start(type);
	put_rand(n);
	attr_end(off);
}

/* A name with a byte no device name may have, or a reserved one. */
static void bad_dev_name(char *buf)
{
	static const char *const fixed[] = { "", ".", "..", "a/b", "a:b", "a b",
					     "eth\t1", "x\n", "/", ":" };

	snprintf(buf, 16, "%s", fixed[rn(sizeof(fixed) / sizeof(fixed[0]))]);
}

/* One attribute the PM nest's policy refuses. */
static void put_bad_pm_inner(void)
{
	uint16_t t = rn(2) ? OMR_PM_A_ENABLED : OMR_PM_A_ADD_ADDR_ACCEPT;
	static const uint16_t reply_only[] = { OMR_PM_A_PATHS,
		OMR_PM_A_MAX_PATHS, OMR_PM_A_CONNS };

	switch (rn(7)) {
	case 0:		/* out of range: ERANGE */
		put_u8(t, 2 + rn(254));
		break;
	case 1:
		put_wrong_len(t, 1);
		break;
	case 2:
		put_deep(t, 0);
		break;
	case 3:
		put_u32(reply_only[rn(3)], rnd());
		break;
	case 4:
		put_u8(0, rn(2));
		break;
	case 5:
		put_u8(OMR_PM_A_MAX + 1 + rn(0x3fff - OMR_PM_A_MAX), rn(2));
		break;
	default:
		put_deep(OMR_PM_A_MAX + 1 + rn(100), 1 + rn(14));
		break;
	}
}

/* OMR_PATH_A_FLAGS with at least one bit the ABI does not define. */
static uint32_t bad_path_flags(void)
{
	uint32_t v = rnd() & ~(uint32_t)OMR_PATH_F_MASK;

	return v ? v : 1U << 31;
}

/* One attribute the PATH nest's policy for @cmd refuses. */
static void put_bad_path_inner(uint8_t cmd)
{
	static const uint16_t reply_only[] = { OMR_PATH_A_IFINDEX,
		OMR_PATH_A_LINK_UP, OMR_PATH_A_ADDR, OMR_PATH_A_HEALTH };
	char s[IFNAMSIZ + 1];
	size_t off, n, i;

	switch (rn(9)) {
	case 0:		/* empty */
		put_attr(OMR_PATH_A_IFNAME, NULL, 0);
		break;
	case 1:		/* no NUL */
		n = 1 + rn(IFNAMSIZ + 4);
		off = attr_start(OMR_PATH_A_IFNAME);
		for (i = 0; i < n; i++) {
			s[0] = 'a' + rn(26);
			put(s, 1);
		}
		attr_end(off);
		break;
	case 2:		/* too long, at times huge */
		n = IFNAMSIZ + (chance(5) ? rn(60000) : rn(64));
		off = attr_start(OMR_PATH_A_IFNAME);
		for (i = 0; i < n && space() > 8; i++) {
			s[0] = 1 + rn(255);
			put(s, 1);
		}
		s[0] = 0;
		put(s, 1);
		attr_end(off);
		break;
	case 3:
		put_deep(OMR_PATH_A_IFNAME, rn(3));
		break;
	case 4:
		if (cmd == OMR_CMD_PATH_DEL)
			put_u32(OMR_PATH_A_FLAGS, rnd() & OMR_PATH_F_MASK);
		else
			put_u32(OMR_PATH_A_FLAGS, bad_path_flags());
		break;
	case 5:
		put_wrong_len(OMR_PATH_A_FLAGS, 4);
		break;
	case 6:
		put_u32(reply_only[rn(4)], rnd());
		break;
	case 7:
		put_str(0, "fz0");
		break;
	default:
		if (chance(50))
			put_str(OMR_PATH_A_MAX + 1 + rn(0x3fff - OMR_PATH_A_MAX), "fz0");
		else
			put_deep(OMR_PATH_A_MAX + 1 + rn(100), 1 + rn(14));
		break;
	}
}

/* Good inner attributes, the way a valid request has them. */
static void put_good_inner(uint16_t nest_type, uint8_t cmd)
{
	char name[8];

	if (nest_type == OMR_A_PM) {
		put_u8(rn(2) ? OMR_PM_A_ENABLED : OMR_PM_A_ADD_ADDR_ACCEPT, rn(2));
	} else if (cmd == OMR_CMD_PATH_ADD && chance(30)) {
		put_u32(OMR_PATH_A_FLAGS, rnd() & OMR_PATH_F_MASK);
	} else {
		pool_name(name);
		put_str(OMR_PATH_A_IFNAME, name);
	}
}

/* A PM or PATH nest with at least one attribute its policy refuses. */
static void put_bad_nest(uint16_t nest_type, uint8_t cmd)
{
	size_t off = attr_start(nest_type | NLA_F_NESTED);
	int n = 1 + rn(4), bad = rn(n), i;

	for (i = 0; i < n; i++) {
		if (i != bad)
			put_good_inner(nest_type, cmd);
		else if (nest_type == OMR_A_PM)
			put_bad_pm_inner();
		else
			put_bad_path_inner(cmd);
	}
	if (chance(15))
		put_bad_trailer(0);
	attr_end(off);
}

/* The nest @cmd takes, or 0. */
static uint16_t cmd_nest(uint8_t cmd)
{
	if (cmd == OMR_CMD_SET_PM)
		return OMR_A_PM;
	if (cmd == OMR_CMD_PATH_ADD || cmd == OMR_CMD_PATH_DEL)
		return OMR_A_PATH;
	return 0;
}

/* One top-level attribute @cmd's policy refuses. */
static void put_bad_top(uint8_t cmd)
{
	static const uint16_t reply_only[] = { OMR_A_VERSION, OMR_A_KERNEL,
		OMR_A_COUNTERS, OMR_A_CONN };
	uint16_t nest = cmd_nest(cmd), other;
	size_t off;

	switch (rn(nest ? 7 : 4)) {
	case 0:
		off = attr_start(chance(50) ? NLA_F_NESTED : 0);
		put_rand(rn(32));
		attr_end(off);
		break;
	case 1:
		off = attr_start(OMR_A_MAX + 1 + rn(0x3fff - OMR_A_MAX));
		put_rand(rn(32));
		attr_end(off);
		break;
	case 2:
		if (chance(50)) {
			put_str(reply_only[rn(4)], "x");
		} else {
			off = attr_start(reply_only[rn(4)] | NLA_F_NESTED);
			put_any(1);
			attr_end(off);
		}
		break;
	case 3:		/* a nest this command does not take */
		other = nest == OMR_A_PM ? OMR_A_PATH :
			nest == OMR_A_PATH ? OMR_A_PM :
			rn(2) ? OMR_A_PM : OMR_A_PATH;
		valid_body(other == OMR_A_PM ? OMR_CMD_SET_PM : OMR_CMD_PATH_ADD);
		break;
	case 4:		/* the right nest without NLA_F_NESTED */
		off = m.len;
		valid_body(cmd);
		((struct nlattr *)(m.buf + off))->nla_type &= ~NLA_F_NESTED;
		break;
	case 5:		/* a nest 1 to 3 bytes long */
		off = attr_start(nest | NLA_F_NESTED);
		put_rand(1 + rn(3));
		attr_end(off);
		break;
	default:
		put_bad_nest(nest, cmd);
		break;
	}
}

/* A known command, valid flags, attributes with at least one defect. */
static void gen_bad_attrs(void)
{
	uint8_t cmd = known_cmd();
	int n = 1 + rn(4), bad = rn(n + 1), i;
	uint16_t nest = cmd_nest(cmd);

	msg_init(cmd, good_flags(cmd_is_dump(cmd)), CLS_MALFORMED, "bad-attr");
	for (i = 0; i < n; i++) {
		if (i == bad)
			put_bad_top(cmd);
		else if (nest && chance(60))
			valid_body(cmd);
		else
			put_any(0);
	}
	/* bad == n: the defect is at the end, where it breaks the framing. */
	if (bad == n)
		put_bad_trailer(0);
}

/* SET_PM, PATH_ADD, PATH_DEL missing what they need, or a bad name. */
static void gen_semantic(void)
{
	static const uint8_t cmds[] = { OMR_CMD_SET_PM, OMR_CMD_PATH_ADD,
		OMR_CMD_PATH_DEL };
	uint8_t cmd = cmds[rn(3)];
	char name[16];
	size_t off;

	msg_init(cmd, good_flags(false), CLS_MALFORMED, "missing-or-bad-name");
	switch (rn(3)) {
	case 0:		/* no attribute */
		break;
	case 1:		/* an empty nest, or one without the name */
		off = attr_start(cmd_nest(cmd) | NLA_F_NESTED);
		if (cmd == OMR_CMD_PATH_ADD && chance(50))
			put_u32(OMR_PATH_A_FLAGS, rnd() & OMR_PATH_F_MASK);
		attr_end(off);
		break;
	default:
		if (cmd == OMR_CMD_SET_PM) {
			off = attr_start(OMR_A_PM | NLA_F_NESTED);
			attr_end(off);
			break;
		}
		bad_dev_name(name);
		off = attr_start(OMR_A_PATH | NLA_F_NESTED);
		put_str(OMR_PATH_A_IFNAME, name);
		attr_end(off);
		break;
	}
}

/*
 * PATH_CHANGE with a malformed address (OMR_PATH_A_SADDR or _GW): a family
 * of neither, a length not the family's, a part missing, too long, or not
 * flagged nested. Refused whole (-EINVAL) before the path is looked up.
 */
static void gen_bad_addr(void)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint16_t type = rn(2) ? OMR_PATH_A_SADDR : OMR_PATH_A_GW;
	uint16_t fam = rn(2) ? AF_INET : AF_INET6;
	uint8_t junk[80];
	char name[8];
	size_t off, in, i;

	msg_init(OMR_CMD_PATH_CHANGE, good_flags(false), CLS_MALFORMED, "bad-addr");
	off = attr_start(OMR_A_PATH | NLA_F_NESTED);
	pool_name(name);
	put_str(OMR_PATH_A_IFNAME, name);
	in = attr_start(type | (rn(8) ? NLA_F_NESTED : 0));
	switch (rn(5)) {
	case 0:		/* a family of neither */
		fam = rn(2) ? 0 : (uint16_t)(AF_INET6 + 1 + rn(60000));
		put_attr(OMR_ADDR_A_FAMILY, &fam, 2);
		put_attr(OMR_ADDR_A_ADDR, v6, rn(2) ? 4 : 16);
		break;
	case 1:		/* the other family's length, or another */
		put_attr(OMR_ADDR_A_FAMILY, &fam, 2);
		put_attr(OMR_ADDR_A_ADDR, v6, fam == AF_INET ? 16 - 4 * rn(3) :
			 4 + 4 * rn(3));
		break;
	case 2:		/* no family */
		put_attr(OMR_ADDR_A_ADDR, v6, 16);
		break;
	case 3:		/* no address */
		put_attr(OMR_ADDR_A_FAMILY, &fam, 2);
		break;
	default:	/* longer than any, or a family that is not a u16 */
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = rnd();
		put_attr(OMR_ADDR_A_FAMILY, &fam, rn(2) ? 2 : 4);
		put_attr(OMR_ADDR_A_ADDR, junk, 17 + rn(64));
		break;
	}
	attr_end(in);
	attr_end(off);
}

/* A command the family does not have (0, or past OMR_CMD_MAX). */
static void gen_bad_cmd(void)
{
	uint8_t cmd = rn(4) ? OMR_CMD_MAX + 1 + rn(255 - OMR_CMD_MAX) : 0;
	int i, n = rn(3);

	msg_init(cmd, good_flags(chance(30)), CLS_MALFORMED, "bad-cmd");
	if (chance(50))
		valid_body(1 + rn(KNOWN_CMD_LAST));
	for (i = 0; i < n; i++)
		put_any(0);
}

/* A known command with the flavour it does not have: dump vs do. */
static void gen_wrong_flavor(void)
{
	uint8_t cmd = known_cmd();

	msg_init(cmd, good_flags(!cmd_is_dump(cmd)), CLS_MALFORMED, "wrong-flavor");
	valid_body(cmd);
}

/* Flag bits genetlink refuses for a strictly validated family. */
static void gen_bad_flags(void)
{
	static const uint16_t bad[] = { NLM_F_ROOT, NLM_F_MATCH, NLM_F_ATOMIC,
		NLM_F_MULTI, NLM_F_DUMP_INTR, NLM_F_DUMP_FILTERED, 0x0800,
		0x1000, 0x2000, 0x4000, 0x8000 };
	uint8_t cmd = known_cmd();
	bool dump = cmd_is_dump(cmd);
	uint16_t f = good_flags(dump), b;

	do
		b = bad[rn(sizeof(bad) / sizeof(bad[0]))] | (rnd() & 0xfcf0);
	while (dump && !(b & ~NLM_F_DUMP));
	/*
	 * b has ROOT or MATCH, not both (0xfcf0 leaves them out): a do keeps a
	 * lone half of NLM_F_DUMP, a dump some other bit.
	 */
	f |= b;
	msg_init(cmd, f, CLS_MALFORMED, "bad-flags");
	valid_body(cmd);
}

static void gen_bad_reserved(void)
{
	uint8_t cmd = known_cmd();
	struct genlmsghdr *g;

	msg_init(cmd, good_flags(cmd_is_dump(cmd)), CLS_MALFORMED, "bad-reserved");
	g = (struct genlmsghdr *)(m.buf + NLMSG_HDRLEN);
	g->reserved = 1 + rn(0xffff);
	valid_body(cmd);
}

/* The genl header cut short: 0 to 3 of its 4 bytes. */
static void gen_short_genl(void)
{
	uint8_t cmd = known_cmd();

	msg_init(cmd, good_flags(cmd_is_dump(cmd)), CLS_MALFORMED, "short-genl");
	m.len = NLMSG_HDRLEN + rn(GENL_HDRLEN);
}

/* Bit flips of a valid SET_PM, PATH_ADD or PATH_DEL (genl header and on). */
static void gen_mutation(void)
{
	static const uint8_t cmds[] = { OMR_CMD_SET_PM, OMR_CMD_PATH_ADD,
		OMR_CMD_PATH_DEL };
	uint8_t cmd = cmds[rn(3)];
	int i, n = 1 + rn(4);
	size_t pos;

	msg_init(cmd, good_flags(false), CLS_UNKNOWN, "mutation");
	valid_body(cmd);
	for (i = 0; i < n; i++) {
		pos = NLMSG_HDRLEN + rn(m.len - NLMSG_HDRLEN);
		m.buf[pos] ^= 1 << rn(8);
	}
	/* A flipped genl command may now be a dump or not: say which. */
	m.cmd = m.buf[NLMSG_HDRLEN];
}

/* A valid request cut short at any byte after the netlink header. */
static void gen_truncated(void)
{
	uint8_t cmd = known_cmd();

	msg_init(cmd, good_flags(cmd_is_dump(cmd)), CLS_UNKNOWN, "truncated");
	valid_body(cmd);
	m.len = NLMSG_HDRLEN + rn(m.len - NLMSG_HDRLEN + 1);
}

/* Any command byte, then random attributes or bytes. */
static void gen_random(void)
{
	uint8_t cmd = rnd();
	int i, n = rn(5);

	msg_init(cmd, good_flags(chance(30)), CLS_UNKNOWN, "random");
	((struct genlmsghdr *)(m.buf + NLMSG_HDRLEN))->version = rnd();
	if (chance(50)) {
		put_rand(rn(64));
	} else {
		for (i = 0; i < n; i++)
			put_any(0);
	}
}

static void generate(void)
{
	unsigned int r = rn(100);

	if (r < 10)
		gen_valid();
	else if (r < 40)
		gen_bad_attrs();
	else if (r < 45)
		gen_bad_addr();
	else if (r < 52)
		gen_semantic();
	else if (r < 58)
		gen_bad_cmd();
	else if (r < 63)
		gen_wrong_flavor();
	else if (r < 68)
		gen_bad_flags();
	else if (r < 71)
		gen_bad_reserved();
	else if (r < 74)
		gen_short_genl();
	else if (r < 86)
		gen_mutation();
	else if (r < 92)
		gen_truncated();
	else
		gen_random();
}

/* ---- netlink ------------------------------------------------------------- */

static int nl_open(int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, s, big = RX_MAX * 4;

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s < 0) {
		perror("omr-nlfuzz: socket(AF_NETLINK)");
		return -1;
	}
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))) {
		perror("omr-nlfuzz: socket setup");
		close(s);
		return -1;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	/* Errors without the request echoed: huge requests, small answers. */
	setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return s;
}

/* NLMSG_OK() with a signed length that NLMSG_NEXT() may take below 0. */
static bool nl_ok(const struct nlmsghdr *h, int len)
{
	return len >= (int)sizeof(*h) && h->nlmsg_len >= sizeof(*h) &&
	       h->nlmsg_len <= (unsigned int)len;
}

/* The id of generic netlink family @name: >0, -ENOENT, or -errno. */
static int resolve(const char *name)
{
	static uint8_t rx[8192];
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		uint8_t attrs[64];
	} req = { 0 };
	struct nlattr *a;
	struct nlmsghdr *h;
	size_t nl = strlen(name) + 1;
	int len, rem;

	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.n.nlmsg_seq = ++seq;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	a = (struct nlattr *)req.attrs;
	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + nl;
	memcpy((char *)a + NLA_HDRLEN, name, nl);
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		len = recv(fd, rx, sizeof(rx), 0);
		if (len < 0)
			return -errno;
		for (h = (struct nlmsghdr *)rx; nl_ok(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;

				return e ? e : -ENOENT;
			}
			if (h->nlmsg_type != GENL_ID_CTRL)
				continue;
			rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
			for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
			       a->nla_len <= rem;
			     rem -= NLA_ALIGN(a->nla_len),
			     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
				if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID &&
				    a->nla_len >= NLA_HDRLEN + 2) {
					uint16_t id;

					memcpy(&id, (char *)a + NLA_HDRLEN, 2);
					/* Drain the ACK that follows. */
					recv(fd, rx, sizeof(rx), MSG_DONTWAIT);
					return id;
				}
		}
	}
}

static void hexdump(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 256; i++)
		fprintf(stderr, "%02x", p[i]);
	fprintf(stderr, "%s\n", n > 256 ? "..." : "");
}

/*
 * Send m (and a NOOP barrier if nothing else would answer it) and read
 * until its answer is complete, in *result: 1 for a success, else -errno.
 * Returns 0, -ETIMEDOUT for a stall, or another -errno of send or recv.
 */
static int transact(int *result)
{
	static uint8_t rx[RX_MAX];
	struct nlmsghdr *h = (struct nlmsghdr *)m.buf, *bar;
	uint32_t want = ++seq, bseq = 0;
	bool done = false, bdone = true;
	size_t total = m.len;
	int len;

	h->nlmsg_len = m.len;
	h->nlmsg_seq = want;
	m.dump = (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	/*
	 * A do without NLM_F_ACK that succeeds gets no answer: the NOOP after
	 * it, processed in order in the same send, gets an ACK that says so.
	 */
	if (!m.dump && !(h->nlmsg_flags & NLM_F_ACK)) {
		bseq = ++seq;
		bdone = false;
		total = NLMSG_ALIGN(m.len) + NLMSG_HDRLEN;
		memset(m.buf + m.len, 0, total - m.len);
		bar = (struct nlmsghdr *)(m.buf + NLMSG_ALIGN(m.len));
		bar->nlmsg_len = NLMSG_HDRLEN;
		bar->nlmsg_type = NLMSG_NOOP;
		bar->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		bar->nlmsg_seq = bseq;
		bar->nlmsg_pid = 0;
	}
	*result = 1;
	if (send(fd, m.buf, total, 0) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -ETIMEDOUT;
		fprintf(stderr, "omr-nlfuzz: send: %s\n", strerror(errno));
		return -errno;
	}
	while (!done || !bdone) {
		len = recv(fd, rx, sizeof(rx), 0);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -ETIMEDOUT;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {	/* overrun: answers lost */
				fprintf(stderr, "omr-nlfuzz: receive overrun (ENOBUFS)\n");
				return -ETIMEDOUT;
			}
			return -errno;
		}
		for (h = (struct nlmsghdr *)rx; nl_ok(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (bseq && h->nlmsg_seq == bseq) {
				if (h->nlmsg_type == NLMSG_ERROR) {
					bdone = true;
					st.barriers++;
				}
				continue;
			}
			if (h->nlmsg_seq != want || done) {
				st.stray++;
				continue;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;

				*result = e ? e : 1;
				done = true;
			} else if (h->nlmsg_type == NLMSG_DONE) {
				int e = 0;

				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&e, NLMSG_DATA(h), sizeof(e));
				*result = e < 0 ? e : 1;
				st.dumps_done++;
				done = true;
			} else {
				/* Data: the ACK, DONE or barrier still comes. */
				st.data_msgs++;
			}
		}
		/* A do without ACK and with a barrier: no error before it is success. */
		if (bseq && bdone && !done)
			done = true;
	}
	return 0;
}

static void account(int result)
{
	enum cls c = m.cls;

	st.sent[c]++;
	if (result > 0) {
		st.ok[c]++;
		if (c == CLS_MALFORMED && st.reported++ < MAX_REPORT) {
			fprintf(stderr, "omr-nlfuzz: malformed request (%s, cmd %u, flags 0x%x, %zu bytes) succeeded: ",
				m.kind, m.cmd, m.flags, m.len);
			hexdump(m.buf, m.len);
		}
		return;
	}
	st.err[c]++;
	st.err_by[c][-result < NERRNO ? -result : 0]++;
	if (c == CLS_VALID && cmd_is_get(m.cmd) && st.valid_get_fail++ < MAX_REPORT)
		fprintf(stderr, "omr-nlfuzz: valid GET (cmd %u, flags 0x%x) failed: %s\n",
			m.cmd, m.flags, strerror(-result));
	if (verbose)
		fprintf(stderr, "%s %s cmd %u: %s\n", cls_name[c], m.kind, m.cmd,
			strerror(-result));
}

static void summary(unsigned long n, uint64_t seed, double secs)
{
	int c, e;

	printf("# omr-nlfuzz: seed %llu, %lu requests in %.1f s (%.0f/s)\n",
	       (unsigned long long)seed, n, secs, secs > 0 ? n / secs : 0.0);
	for (c = 0; c < NCLS; c++) {
		printf("# %-9s sent %lu, succeeded %lu, failed %lu:", cls_name[c],
		       st.sent[c], st.ok[c], st.err[c]);
		for (e = 0; e < NERRNO; e++)
			if (st.err_by[c][e])
				printf(" %s %lu", e ? strerrorname_np(e) ?: "?" : "E?",
				       st.err_by[c][e]);
		printf("\n");
	}
	printf("# answers: %lu data messages, %lu dumps done, %lu barriers, %lu stray\n",
	       st.data_msgs, st.dumps_done, st.barriers, st.stray);
	printf("summary sent=%lu valid=%lu malformed=%lu unknown=%lu malformed_ok=%lu "
	       "malformed_err=%lu valid_ok=%lu valid_get_fail=%lu stalls=%lu\n",
	       n, st.sent[CLS_VALID], st.sent[CLS_MALFORMED], st.sent[CLS_UNKNOWN],
	       st.ok[CLS_MALFORMED], st.err[CLS_MALFORMED], st.ok[CLS_VALID],
	       st.valid_get_fail, st.stalls);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: omr-nlfuzz [-n COUNT] [-s SEED] [-t TIMEOUT_MS] [-v] [-f FAMILY]\n"
		"  -n COUNT       requests to send (default 100000)\n"
		"  -s SEED        random seed (default 1)\n"
		"  -t TIMEOUT_MS  wait at most this long for an answer (default 5000)\n"
		"  -v             print every error\n"
		"  -f FAMILY      send to this family instead (tests of the tool only)\n"
		"Run as root in a scratch network namespace. Exit: 0 ok, 1 a malformed\n"
		"request succeeded, a valid GET failed or an answer stalled, 2 usage,\n"
		"3 no family 'omr'.\n");
}

int main(int argc, char **argv)
{
	unsigned long n = 100000, i;
	uint64_t seed = 1;
	int opt, timeout_ms = 5000, result, ret;
	const char *fam_name = OMR_GENL_NAME;
	struct timespec t0, t1;
	double secs;
	char *end;

	while ((opt = getopt(argc, argv, "n:s:t:vf:h")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, &end, 0);
			if (*end || !n) {
				usage(stderr);
				return 2;
			}
			break;
		case 's':
			seed = strtoull(optarg, &end, 0);
			if (*end) {
				usage(stderr);
				return 2;
			}
			break;
		case 't':
			timeout_ms = strtol(optarg, &end, 0);
			if (*end || timeout_ms <= 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'v':
			verbose = true;
			break;
		case 'f':
			fam_name = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* xorshift must not start at 0 (one seed of 2^64 gives 0 here). */
	rng = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	// cppcheck-suppress knownConditionTrueFalse
	if (!rng)
		rng = 1;

	fd = nl_open(timeout_ms);
	if (fd < 0)
		return 1;
	ret = resolve(fam_name);
	if (ret < 0) {
		fprintf(stderr, "omr-nlfuzz: no generic netlink family '%s' (%s): is omr.ko loaded?\n",
			fam_name, strerror(-ret));
		close(fd);
		return 3;
	}
	family = ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		generate();
		ret = transact(&result);
		if (ret == -ETIMEDOUT) {
			st.stalls++;
			fprintf(stderr, "omr-nlfuzz: request %lu (%s %s, cmd %u, flags 0x%x) got no complete answer in %d ms: ",
				i, cls_name[m.cls], m.kind, m.cmd, m.flags, timeout_ms);
			hexdump(m.buf, m.len);
			i++;
			break;
		}
		if (ret < 0) {
			fprintf(stderr, "omr-nlfuzz: request %lu: %s\n", i, strerror(-ret));
			st.stalls++;
			i++;
			break;
		}
		account(result);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	summary(i, seed, secs);
	close(fd);
	return st.ok[CLS_MALFORMED] || st.valid_get_fail || st.stalls ? 1 : 0;
}
