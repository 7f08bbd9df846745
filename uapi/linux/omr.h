/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	uapi/omr.yaml */
/* YNL-GEN uapi header */
/*
 * omr: generic netlink interface of omr.ko (MPTCP scheduler and path
 * manager), shared by the module and by omrctl(8).
 *
 * Generated: the code below this comment is ynl-gen-c.py's output for
 * uapi/omr.yaml, the family's YNL spec and the one place where its
 * commands, attributes, enums and ranges are written. Edit the spec, then
 * run scripts/ynl.sh gen; scripts/ynl.sh check (make lint) fails while this
 * file is not current. Ranges below are named by the spec's constants
 * (OMR_<SET>_<NAME>_MIN and _MAX, defined below), which the module's
 * policies and parameters use too.
 *
 * Documentation
 * =============
 *
 * The family is OMR_GENL_NAME ("omr"), version OMR_GENL_VERSION (1). It is
 * netns-aware: every command acts on the network namespace of the socket
 * that sends it. No user header follows the genl header.
 *
 * Every request is validated strictly: an attribute this document does not
 * list for the command, an attribute of an unknown type, a wrong length, a
 * nest without NLA_F_NESTED, a flag bit that is not defined here, or a
 * trailing byte fails the whole request with -EINVAL, an integer outside its
 * range with -ERANGE, each with an extended ACK whose message and offset
 * name the attribute. A failed request changes nothing. An unknown command
 * fails with -EOPNOTSUPP.
 *
 * Permissions. OMR_CMD_SET_PM, OMR_CMD_PATH_ADD, OMR_CMD_PATH_CHANGE and
 * OMR_CMD_PATH_DEL need CAP_NET_ADMIN in the user namespace that owns the
 * network namespace (GENL_UNS_ADMIN_PERM): they change that namespace
 * only. OMR_CMD_SET_SCHED needs CAP_NET_ADMIN in the initial user
 * namespace (GENL_ADMIN_PERM): the scheduler's tunables are global, one
 * set for every namespace, so a container's root must not change them.
 * Without the capability they fail with -EPERM.
 *
 * Reading. One policy: what names connections needs CAP_NET_ADMIN in the
 * user namespace that owns the network namespace, what does not is open to
 * any user of the namespace. OMR_CMD_GET_CONNS (every user's connections,
 * their addresses, ports and live traffic) is GENL_UNS_ADMIN_PERM, like
 * joining the "events" group (below). OMR_CMD_GET_STATUS, OMR_CMD_GET_PATHS
 * and OMR_CMD_GET_SCHED are open: the path manager's configuration and
 * counters (what ip-mptcp(8) shows of the in-kernel PM) and the scheduler's
 * tunables (what /sys/module/omr/parameters/ shows anyone); the namespace
 * counts of OMR_A_USAGE only to CAP_NET_ADMIN in the initial user
 * namespace.
 *
 * Reads have no side effect and never wait for the path manager: the GET
 * commands answer from the configuration and from what the path manager's
 * last pass published (it publishes after every pass, every tick_ms while
 * it follows a connection, and after every change).
 *
 * One source of truth. These commands are the only way to change omr's
 * configuration at run time (there is no /proc file); the module
 * parameters pm_* are read-only (0444) and are only the
 * defaults each new network namespace's PM settings start from; the
 * scheduler's module parameters (loss_penalty, loss_gain, rtt_unknown_us,
 * burst) read and write the very tunables OMR_CMD_SET_SCHED sets, with the
 * same ranges, so both always show the same value.
 *
 * Added after the first version, at the end of each enum (readers skip
 * what they do not know): OMR_CMD_GET_SCHED, OMR_CMD_SET_SCHED,
 * OMR_CMD_PATH_CHANGE; OMR_A_SCHED, OMR_A_USAGE; OMR_PM_A_TICK_MS ..
 * OMR_PM_A_JOIN_TIMEOUT_MS; OMR_PATH_A_ENABLED .. OMR_PATH_A_GW; enums
 * omr_sched_attr and omr_usage_attr; OMR_PM_A_ENABLE_WANTED ..
 * OMR_PM_A_GEN_DONE (enabling became a request, issue #11).
 *
 * Addresses (*_ADDR, OMR_PATH_A_SADDR, OMR_PATH_A_GW) are IPv4 or IPv6,
 * each an NLA_NESTED of enum omr_addr_attr, as WireGuard's allowed IPs:
 *
 *    OMR_ADDR_A_FAMILY: NLA_U16, AF_INET (2) or AF_INET6 (10)
 *    OMR_ADDR_A_ADDR: binary, network byte order: 4 bytes (struct in_addr)
 *                     for AF_INET, 16 (struct in6_addr) for AF_INET6
 *
 * In a request both are required, the family one of the two and the length
 * the family's (else -EINVAL, with an extended ACK naming the attribute).
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is reported, and taken, as
 * the IPv4 address it maps: MPTCP, too, treats a subflow by that family.
 * (Before IPv6, in the 0.x ABI, the same attribute numbers were IPv4 only:
 * OMR_*_A_*ADDR4, OMR_PATH_A_SADDR4, OMR_PATH_A_GW4, NLA_BE32.) Ports (*_PORT)
 * are NLA_U16 in host byte order. Counters are NLA_U64 and padded with the
 * nest's *_PAD attribute.
 *
 * OMR_CMD_GET_STATUS
 * ------------------
 *
 * Request (do): no attribute. Reply: one message
 *
 *    OMR_A_VERSION: NUL-terminated string, the module's version
 *    OMR_A_KERNEL: NUL-terminated string, the running kernel's release
 *    OMR_A_PM: NLA_NESTED
 *        OMR_PM_A_ENABLED: NLA_U8, 1 if the path manager runs (manages this
 *                          namespace's connections), else 0
 *        OMR_PM_A_ADD_ADDR_ACCEPT: NLA_U8, 1 if it joins the addresses the
 *                                  peer announces, 0 if it ignores them
 *        OMR_PM_A_PATHS: NLA_U32, configured paths
 *        OMR_PM_A_MAX_PATHS: NLA_U32, the most paths there can be
 *        OMR_PM_A_CONNS: NLA_U32, connections the path manager follows
 *        and its settings, each NLA_U32 (see OMR_CMD_SET_PM):
 *        OMR_PM_A_TICK_MS, OMR_PM_A_STALL_MS, OMR_PM_A_FAIL_MS,
 *        OMR_PM_A_HOLD_MS, OMR_PM_A_LOSS_HI, OMR_PM_A_LOSS_LO,
 *        OMR_PM_A_RTT_HI_MS, OMR_PM_A_BACKOFF_MIN_MS,
 *        OMR_PM_A_BACKOFF_MAX_MS, OMR_PM_A_JOIN_TIMEOUT_MS
 *        OMR_PM_A_ENABLE_WANTED: NLA_U8, 1 if enabling was asked for (the
 *                                last OMR_PM_A_ENABLED set), else 0
 *        OMR_PM_A_ENABLE_ERROR: NLA_U32, the (positive) errno of the last
 *                               failed attempt to enable, 0 if none
 *        OMR_PM_A_GEN: NLA_U32, the configuration's generation, bumped by
 *                      every accepted SET_PM and PATH_* request
 *        OMR_PM_A_GEN_DONE: NLA_U32, the generation the path manager has
 *                           carried out; a request is done once GEN_DONE
 *                           reaches the GEN read after its ACK (u32,
 *                           wrapping: compare the difference as signed)
 *        OMR_PM_A_MAX_CONNS: NLA_U32, the most connections the path manager
 *                            follows (module parameter pm_max_conns,
 *                            [OMR_PM_MAX_CONNS_MIN..MAX], read when the PM
 *                            is enabled); one more is not followed and
 *                            counted in OMR_CNT_A_UNTRACKED
 *    OMR_A_SCHED: NLA_NESTED, the scheduler's tunables, as OMR_CMD_GET_SCHED
 *    OMR_A_USAGE: NLA_NESTED, who uses omr
 *        OMR_USAGE_A_SCHED_CONNS: NLA_U32, this namespace's MPTCP
 *                                 connections the omr scheduler schedules
 *        OMR_USAGE_A_PM_ENABLED: NLA_U8, as OMR_PM_A_ENABLED
 *        Only if the requester has CAP_NET_ADMIN in the initial user
 *        namespace (which namespaces exist and what they run is the
 *        host's business, not a container's):
 *        OMR_USAGE_A_NETNS: NLA_U32, network namespaces
 *        OMR_USAGE_A_NETNS_SCHED: NLA_U32, of them with at least one
 *                                 connection on the omr scheduler
 *        OMR_USAGE_A_NETNS_PM: NLA_U32, of them with the PM enabled
 *    A module cannot read another namespace's net.mptcp.scheduler (MPTCP
 *    keeps it private), and a socket may choose its scheduler itself: a
 *    namespace "uses the omr scheduler" when one of its connections does.
 *    The counts walk MPTCP's token table once per namespace: cheap for a
 *    router's few namespaces, not meant to be polled on a host with
 *    thousands.
 *    OMR_A_COUNTERS: NLA_NESTED, since the path manager's namespace exists
 *        OMR_CNT_A_CREATES: NLA_U64, subflows created
 *        OMR_CNT_A_CREATE_ERRORS: NLA_U64, subflow creations refused
 *        OMR_CNT_A_CLOSED: NLA_U64, subflows closed
 *        OMR_CNT_A_DEMOTES: NLA_U64, paths demoted to backup
 *        OMR_CNT_A_PROMOTES: NLA_U64, paths promoted back
 *        OMR_CNT_A_REMOVES: NLA_U64, address removals (RM_ADDR) sent
 *        OMR_CNT_A_ABORTS: NLA_U64, subflows destroyed
 *        OMR_CNT_A_EV_OVERFLOWS: NLA_U64, MPTCP event queue overflows
 *        OMR_CNT_A_EV_OVERFLOWS: NLA_U64, MPTCP event queue overflows
 *        OMR_CNT_A_CC_SET: NLA_U64, subflows given their path's congestion
 *                          control (OMR_PATH_A_CC)
 *        OMR_CNT_A_CC_ERRORS: NLA_U64, subflows the kernel refused it for
 *                             (an unknown name, a route's locked congctl);
 *                             each is also logged, rate-limited, and not
 *                             retried
 *        OMR_CNT_A_UNTRACKED: NLA_U64, connections not followed: past
 *                             OMR_PM_A_MAX_CONNS, or no memory (logged,
 *                             rate-limited); they keep their first subflow
 *                             and get no other, nor failover
 *        OMR_CNT_A_VISITS: NLA_U64, times the PM looked at a connection
 *                          under its socket lock (an idle one is only
 *                          peeked at, without it)
 *        OMR_CNT_A_WORK_NS: NLA_U64, nanoseconds the PM's work ran: its
 *                           CPU cost
 *
 * OMR_CMD_GET_PATHS
 * -----------------
 *
 * Request (dump): no attribute. Reply: one message per path, in
 * configuration order, each with
 *
 *    OMR_A_PATH: NLA_NESTED
 *        OMR_PATH_A_IFNAME: NUL-terminated string, the device's name
 *        OMR_PATH_A_FLAGS: NLA_U32, OMR_PATH_F_* as configured
 *        OMR_PATH_A_IFINDEX: NLA_U32, the device's index, 0 if it does
 *                            not exist (yet)
 *        OMR_PATH_A_LINK_UP: NLA_U8, 1 if the device is up, has carrier and
 *                            an address (IPv4 or IPv6), else 0
 *        OMR_PATH_A_ADDR: address, repeated: the source address subflows
 *                         of that family use, one per family (IPv4 first);
 *                         absent while the device has none. An IPv4
 *                         connection's subflows use the IPv4 one, an IPv6
 *                         connection's the IPv6 one: a connection's
 *                         subflows stay in its family.
 *        OMR_PATH_A_HEALTH: NLA_U8, enum omr_path_health
 *        OMR_PATH_A_ENABLED: NLA_U8, 0 if disabled (OMR_CMD_PATH_CHANGE)
 *        OMR_PATH_A_WEIGHT: NLA_U32, as set, default 1
 *        OMR_PATH_A_SADDR: address, the configured source address; absent
 *                          when none is (the device's first)
 *        OMR_PATH_A_GW: address, the configured gateway; absent if none
 *
 * The configuration and the device's index, link and address are as of the
 * request (a path just added is listed); the health and the statistics
 * below are those the path manager published after its last pass.
 *
 * A dump is not a snapshot: a path added or deleted while a dump is split
 * over several messages may be missed or listed twice.
 *
 * OMR_CMD_SET_PM
 * --------------
 *
 * Request (do), CAP_NET_ADMIN:
 *
 *    OMR_A_PM: NLA_NESTED, required
 *        OMR_PM_A_ENABLED: NLA_U8, 0 or 1, optional
 *        OMR_PM_A_ADD_ADDR_ACCEPT: NLA_U8, 0 or 1, optional
 *
 *        The namespace's PM settings, each NLA_U32, optional; the module
 *        parameter pm_<name> is the default a new namespace starts with:
 *        OMR_PM_A_TICK_MS [OMR_PM_TICK_MS_MIN..MAX]: how often subflow health is checked
 *        OMR_PM_A_STALL_MS [OMR_PM_STALL_MS_MIN..MAX]: no ACK this long with data in
 *            flight demotes a path
 *        OMR_PM_A_FAIL_MS [OMR_PM_FAIL_MS_MIN..MAX], >= STALL_MS: a
 *            subflow stalled this long is removed and re-joined
 *        OMR_PM_A_HOLD_MS [OMR_PM_HOLD_MS_MIN..MAX]: a demoted path is promoted after
 *            this long healthy
 *        OMR_PM_A_LOSS_HI [OMR_PM_LOSS_HI_MIN..MAX], 1/1000: loss that demotes a path
 *        OMR_PM_A_LOSS_LO [OMR_PM_LOSS_LO_MIN..MAX], < LOSS_HI: loss under which a demoted
 *            path may be promoted
 *        OMR_PM_A_RTT_HI_MS [OMR_PM_RTT_HI_MS_MIN..MAX]: RTT that demotes a path (0: off)
 *        OMR_PM_A_BACKOFF_MIN_MS [OMR_PM_BACKOFF_MIN_MS_MIN..MAX]: first retry delay
 *        OMR_PM_A_BACKOFF_MAX_MS [OMR_PM_BACKOFF_MAX_MS_MIN..MAX],
 *            >= BACKOFF_MIN_MS: longest
 *        OMR_PM_A_JOIN_TIMEOUT_MS [OMR_PM_JOIN_TIMEOUT_MS_MIN..MAX]: a join not established
 *            after this long is retried
 *
 * At least one attribute. The cross-field rules are checked against the
 * namespace's settings with the request applied. The request is applied
 * whole or not at all. Errors: -EINVAL (no OMR_A_PM, nothing in it, or a
 * cross-field rule broken: the extended ACK names both attributes and
 * points at the one given), -ERANGE (a value out of its range, or an
 * enable flag other than 0 and 1). Reply: an ACK.
 *
 * Enabling and disabling are requests: the ACK says the wish is stored.
 * The path manager carries it out in its own context (it opens or closes
 * its sockets to MPTCP's own netlink family, which cannot be done under
 * the request), usually within milliseconds; OMR_CMD_GET_STATUS tells when
 * (OMR_PM_A_GEN_DONE) and how (OMR_PM_A_ENABLED, OMR_PM_A_ENABLE_ERROR).
 * A failed enable is retried by the next accepted request. omrctl(8) pm set
 * enable|disable waits for it, up to 3 s.
 *
 * OMR_CMD_GET_SCHED
 * -----------------
 *
 * Request (do): no attribute. Reply: one message
 *
 *    OMR_A_SCHED: NLA_NESTED, the omr scheduler's tunables (global)
 *        OMR_SCHED_A_LOSS_PENALTY: NLA_U32, percent of a loss-recovery
 *                                  time charged per expected loss
 *        OMR_SCHED_A_LOSS_GAIN: NLA_U32, weight of a new loss sample, /256
 *        OMR_SCHED_A_RTT_UNKNOWN_US: NLA_U32, RTT assumed while no subflow
 *                                    has a sample, in microseconds
 *        OMR_SCHED_A_BURST: NLA_U32, bytes per scheduling decision
 *
 * OMR_CMD_SET_SCHED
 * -----------------
 *
 * Request (do), CAP_NET_ADMIN in the initial user namespace:
 *
 *    OMR_A_SCHED: NLA_NESTED, required, at least one of
 *        OMR_SCHED_A_LOSS_PENALTY: NLA_U32 [OMR_SCHED_LOSS_PENALTY_MIN..MAX]
 *        OMR_SCHED_A_LOSS_GAIN: NLA_U32 [OMR_SCHED_LOSS_GAIN_MIN..MAX]
 *        OMR_SCHED_A_RTT_UNKNOWN_US: NLA_U32 [OMR_SCHED_RTT_UNKNOWN_US_MIN..MAX]
 *        OMR_SCHED_A_BURST: NLA_U32 [OMR_SCHED_BURST_MIN..MAX]
 *
 * Global: every namespace's connections see the new values at their next
 * scheduling decision. Applied whole or not at all, and together: the
 * tunables are published as one set, so a decision sees every value of a
 * request or none of them. Errors: -EINVAL,
 * -ERANGE, -EPERM. Reply: an ACK.
 *
 * OMR_CMD_PATH_CHANGE
 * -------------------
 *
 * Request (do), CAP_NET_ADMIN:
 *
 *    OMR_A_PATH: NLA_NESTED, required
 *        OMR_PATH_A_IFNAME: NUL-terminated string, the path, required
 *        and at least one of
 *        OMR_PATH_A_FLAGS: NLA_U32, OMR_PATH_F_*: OMR_PATH_F_BACKUP set or
 *            cleared. The PM sends MP_PRIO on the path's subflows at its
 *            next pass: both ends then use it only when no other path
 *            works.
 *        OMR_PATH_A_ENABLED: NLA_U8, 0 or 1. 0 removes the path's subflows
 *            (RM_ADDR and SUBFLOW_DESTROY, as for a link that goes down)
 *            and makes none, while the path stays configured; 1 makes
 *            them again at once.
 *        OMR_PATH_A_WEIGHT: NLA_U32 [OMR_PATH_WEIGHT_MIN..MAX]. Reserved: stored and
 *            dumped; neither the scheduler nor the PM uses it yet.
 *        OMR_PATH_A_SADDR: address, the source address of the path's
 *            new subflows of its family instead of the device's first
 *            global one (the other family keeps the device's first); it
 *            must be an address of the device now (else -EADDRNOTAVAIL).
 *            The unspecified address of either family (0.0.0.0 or ::)
 *            clears it. Existing subflows keep their address. If the
 *            device later loses it, the path has no address of that
 *            family until it is back. Routing is the administrator's: a
 *            source-address rule for it, as for any WAN address.
 *        OMR_PATH_A_GW: address, the path's gateway; the unspecified
 *            address clears it.
 *            Informational: stored and dumped for tools; omr installs and
 *            changes no route.
 *        OMR_PATH_A_CC: NUL-terminated string, the TCP congestion control
 *            of the path's subflows: 1 to 15 bytes of [a-z0-9_] (else
 *            -EINVAL), or "" to clear it. The path manager sets it on each
 *            established subflow on the path of the connections it follows
 *            (TCP_CONGESTION on the subflow), once per subflow and per
 *            change. Cleared, new subflows stay as MPTCP makes them (the
 *            MPTCP socket's, by default the system's) and existing ones as
 *            they are. The kernel checks the syntax only; whether the name
 *            exists is the client's to check (omrctl does): a name that
 *            does not is counted in OMR_CNT_A_CC_ERRORS when applied. An
 *            application that sets TCP_CONGESTION on its MPTCP socket sets
 *            every subflow it has then: that overrides this until the next
 *            change of the path's cc or the path's next subflow.
 *
 * Applied whole or not at all. Errors: -EINVAL (missing or bad attribute,
 * nothing to change), -ERANGE, -ENOENT (no path on that device),
 * -EADDRNOTAVAIL (OMR_PATH_A_SADDR not on the device). Reply: an ACK.
 *
 * OMR_CMD_PATH_ADD
 * ----------------
 *
 * Request (do), CAP_NET_ADMIN:
 *
 *    OMR_A_PATH: NLA_NESTED, required
 *        OMR_PATH_A_IFNAME: NUL-terminated string, at most IFNAMSIZ - 1
 *                           bytes, a valid device name, required. The
 *                           device need not exist yet.
 *        OMR_PATH_A_FLAGS: NLA_U32, OMR_PATH_F_*, optional (default 0)
 *        OMR_PATH_A_CC: as for OMR_CMD_PATH_CHANGE, optional (default "")
 *
 * Errors: -EINVAL (missing or bad attribute), -EEXIST (a path on that device
 * exists), -ENOSPC (OMR_PM_A_MAX_PATHS paths exist). Reply: an ACK.
 *
 * OMR_CMD_PATH_DEL
 * ----------------
 *
 * Request (do), CAP_NET_ADMIN:
 *
 *    OMR_A_PATH: NLA_NESTED, required
 *        OMR_PATH_A_IFNAME: NUL-terminated string, as for OMR_CMD_PATH_ADD,
 *                           required
 *
 * Errors: -EINVAL, -ENOENT (no path on that device). The path's subflows
 * stay, as with a deleted endpoint of the in-kernel path manager. Reply: an
 * ACK.
 *
 * OMR_CMD_GET_CONNS
 * -----------------
 *
 * Request (dump), CAP_NET_ADMIN (see Reading): no attribute. Reply: one
 * message per MPTCP connection of the namespace (both those it initiated
 * and those it accepted), each with
 *
 *    OMR_A_CONN: NLA_NESTED
 *        OMR_CONN_A_TOKEN: NLA_U32, the connection's local MPTCP token
 *        OMR_CONN_A_LOCAL_ADDR: address
 *        OMR_CONN_A_LOCAL_PORT: NLA_U16
 *        OMR_CONN_A_REMOTE_ADDR: address
 *        OMR_CONN_A_REMOTE_PORT: NLA_U16
 *        OMR_CONN_A_STATE: NLA_U8, the MPTCP socket's TCP state
 *                          (TCP_ESTABLISHED = 1, ... as in linux/tcp.h)
 *        OMR_CONN_A_FLAGS: NLA_U32, OMR_CONN_F_*
 *        OMR_CONN_A_SCHED: NUL-terminated string, its packet scheduler
 *        OMR_CONN_A_SUBFLOWS: NLA_NESTED
 *            0: NLA_NESTED, one per subflow
 *                OMR_SF_A_ID: NLA_U32, MPTCP's subflow id
 *                OMR_SF_A_IFINDEX: NLA_U32, the device the subflow is bound
 *                                  to, else the one its route leaves
 *                                  through; absent if neither is known
 *                OMR_SF_A_IFNAME: NUL-terminated string, that device's name
 *                OMR_SF_A_LOCAL_ADDR: address
 *                OMR_SF_A_LOCAL_PORT: NLA_U16
 *                OMR_SF_A_REMOTE_ADDR: address
 *                OMR_SF_A_REMOTE_PORT: NLA_U16
 *                OMR_SF_A_STATE: NLA_U8, TCP state
 *                OMR_SF_A_FLAGS: NLA_U32, OMR_SF_F_*
 *                OMR_SF_A_SRTT_US: NLA_U32, smoothed RTT
 *                OMR_SF_A_RTTVAR_US: NLA_U32, its mean deviation
 *                OMR_SF_A_LOSS: NLA_U32, the omr scheduler's smoothed loss
 *                               rate in parts per million; only when the
 *                               connection uses the omr scheduler
 *                OMR_SF_A_CWND: NLA_U32, congestion window, in segments
 *                OMR_SF_A_BYTES_SENT: NLA_U64
 *                OMR_SF_A_BYTES_ACKED: NLA_U64
 *                OMR_SF_A_BYTES_RECEIVED: NLA_U64
 *                OMR_SF_A_RETRANS: NLA_U32, segments retransmitted in total
 *                OMR_SF_A_RETRANS: NLA_U32, segments retransmitted in total
 *                OMR_SF_A_CC: NUL-terminated string, the subflow's TCP
 *                             congestion control (as ss -i shows it)
 *
 * A dump split over several messages resumes at the connection it stopped
 * at; connections opened or closed meanwhile may be missed. The subflows are
 * read under the connection's socket lock, so one message is one consistent
 * view of one connection.
 *
 *
 * Observability (appended by issue #4's second part)
 * ==================================================
 *
 * OMR_CMD_GET_PATHS: more per-path attributes in OMR_A_PATH, from the path
 * manager's last pass (every tick_ms while it follows a connection):
 *
 *        OMR_PATH_A_SUBFLOWS: NLA_U32, established subflows on the path,
 *                             over the connections the PM follows
 *        OMR_PATH_A_SRTT_US: NLA_U32, the largest smoothed RTT among them
 *        OMR_PATH_A_LOSS: NLA_U32, the largest scheduler loss estimate
 *                         among them, parts per million
 *        OMR_PATH_A_TX_BYTES: NLA_U64, bytes acked by the peer on the
 *                             path's subflows during the window
 *        OMR_PATH_A_RX_BYTES: NLA_U64, bytes received on them during it
 *        OMR_PATH_A_WINDOW_MS: NLA_U32, the window's length: the last
 *                              OMR_WINDOW_SECS whole seconds and the
 *                              current one's part. Share of traffic:
 *                              (tx + rx) of a path over the sum of all.
 *        OMR_PATH_A_HEALTH_REASON: NLA_U8, enum omr_ev_reason, why the path
 *                                  was last demoted (STALL, LOSS, RTT);
 *                                  NONE if it never was
 *        OMR_PATH_A_JOIN_FAILS: NLA_U32, joins on the path that failed since
 *                               the last one that came up (a join fails when
 *                               its subflow goes away before it was seen
 *                               established, or times out)
 *        OMR_PATH_A_JOIN_FAILS_TOTAL: NLA_U32, all failed joins
 *        OMR_PATH_A_STRIPPED: NLA_U8, 1 when OMR_PATH_A_JOIN_FAILS reached
 *                             OMR_STRIPPED_JOIN_FAILS with the link up and
 *                             the path not demoted (joins into a black hole
 *                             fail too): a middlebox probably strips or
 *                             drops MPTCP's options on this path
 *                             drops MPTCP's options on this path
 *        OMR_PATH_A_CC: NUL-terminated string, the path's congestion
 *                       control as configured; absent if none
 *
 * OMR_CMD_GET_CONNS: OMR_CONN_A_FLAGS gains OMR_CONN_F_FALLBACK (the
 * connection fell back to plain TCP: the peer or a middlebox did not speak
 * MPTCP on its first subflow). The omr scheduler keeps no static weight per
 * subflow (it costs every burst from live TCP state), so the dump has none:
 * the share a path actually carries is OMR_PATH_A_TX_BYTES/RX_BYTES.
 *
 * Events: the multicast group OMR_GENL_MCGRP_EVENTS ("events"). Joining it
 * needs CAP_NET_ADMIN in the user namespace owning the network namespace
 * (GENL_MCAST_CAP_NET_ADMIN; -EPERM otherwise): events name connections,
 * addresses and ports as they happen, a live trace of who connects where,
 * which a router's unprivileged users have no business following. An event
 * goes to the listeners of the network namespace it happened in only. Each
 * is one OMR_CMD_EVENT message (never a request: sending one fails with
 * -EOPNOTSUPP) with
 *
 *    OMR_A_EVENT: NLA_NESTED
 *        OMR_EV_A_TYPE: NLA_U8, enum omr_event_type, always
 *        OMR_EV_A_REASON: NLA_U8, enum omr_ev_reason, always (NONE when the
 *                         type has no reason)
 *        OMR_EV_A_IFNAME: NUL-terminated string, the path's device
 *        OMR_EV_A_IFINDEX: NLA_U32, its index (0: the device is gone)
 *        OMR_EV_A_TOKEN: NLA_U32, the connection's token (subflow events,
 *                        failover)
 *        OMR_EV_A_LOCAL_ADDR, OMR_EV_A_LOCAL_PORT, OMR_EV_A_REMOTE_ADDR,
 *        OMR_EV_A_REMOTE_PORT: the subflow (subflow events)
 *        OMR_EV_A_ERROR: NLA_U32, the subflow's socket error (errno), when
 *                        MPTCP reported one (SF_CLOSED)
 *        OMR_EV_A_TO_IFNAME, OMR_EV_A_TO_IFINDEX: the path a failover moved
 *                        to; absent when no path is left
 *
 * OMR_EV_PATH_UP, OMR_EV_PATH_DOWN: the PM saw the path's link state change
 * (device up with carrier and an address, or not). IFNAME, IFINDEX.
 * OMR_EV_SF_CREATED: a subflow of a connection the PM follows became
 * established (MPTCP's SUB_ESTABLISHED). OMR_EV_SF_CLOSED: one closed
 * (MPTCP's SUB_CLOSED), with the reason the PM knows: LINK_DOWN, STALL,
 * DUPLICATE or JOIN_TIMEOUT when the PM destroyed it for that reason,
 * JOIN_FAILED when it had not been seen established, else PEER (the peer or
 * the stack closed it; ERROR tells why, if it did). Both with IFNAME/IFINDEX
 * of the path it is on (absent if on none), TOKEN and the four addresses.
 * OMR_EV_PATH_DEMOTED (reason STALL, LOSS or RTT), OMR_EV_PATH_PROMOTED
 * (reason NONE): the path's health changed. OMR_EV_FAILOVER: at the end of a
 * PM pass, a connection has no established regular (non-backup,
 * non-demoted) subflow left on any of the paths where it had one at the end
 * of the previous pass; IFNAME is the first such path it lost, TO_IFNAME
 * the path now carrying it (the first with a regular subflow, else the
 * first with a backup one), with the reason of the loss (LINK_DOWN, STALL,
 * DEMOTED, PEER).
 *
 * Events are sent from the path manager's work (process context); an event
 * that cannot be allocated or delivered is lost (a listener sees ENOBUFS).
 *
 * Everything else, and attributes added by later versions, is ignored by
 * omrctl: readers must skip attributes they do not know.
 */

#ifndef _UAPI_LINUX_OMR_H
#define _UAPI_LINUX_OMR_H

#define OMR_GENL_NAME		"omr"
#define OMR_GENL_VERSION	1

#define OMR_WINDOW_SECS			3
#define OMR_STRIPPED_JOIN_FAILS		3
#define OMR_SCHED_LOSS_PENALTY_MIN	0
#define OMR_SCHED_LOSS_PENALTY_MAX	1000
#define OMR_SCHED_LOSS_GAIN_MIN		1
#define OMR_SCHED_LOSS_GAIN_MAX		256
#define OMR_SCHED_RTT_UNKNOWN_US_MIN	1000
#define OMR_SCHED_RTT_UNKNOWN_US_MAX	10000000
#define OMR_SCHED_BURST_MIN		1448
#define OMR_SCHED_BURST_MAX		1048576
#define OMR_PM_TICK_MS_MIN		20
#define OMR_PM_TICK_MS_MAX		1000
#define OMR_PM_STALL_MS_MIN		100
#define OMR_PM_STALL_MS_MAX		10000
#define OMR_PM_FAIL_MS_MIN		200
#define OMR_PM_FAIL_MS_MAX		60000
#define OMR_PM_HOLD_MS_MIN		100
#define OMR_PM_HOLD_MS_MAX		60000
#define OMR_PM_LOSS_HI_MIN		1
#define OMR_PM_LOSS_HI_MAX		1000
#define OMR_PM_LOSS_LO_MIN		0
#define OMR_PM_LOSS_LO_MAX		1000
#define OMR_PM_RTT_HI_MS_MIN		0
#define OMR_PM_RTT_HI_MS_MAX		60000
#define OMR_PM_BACKOFF_MIN_MS_MIN	10
#define OMR_PM_BACKOFF_MIN_MS_MAX	60000
#define OMR_PM_BACKOFF_MAX_MS_MIN	100
#define OMR_PM_BACKOFF_MAX_MS_MAX	600000
#define OMR_PM_JOIN_TIMEOUT_MS_MIN	500
#define OMR_PM_JOIN_TIMEOUT_MS_MAX	60000
#define OMR_PM_MAX_CONNS_MIN		1
#define OMR_PM_MAX_CONNS_MAX		1048576
#define OMR_PATH_WEIGHT_MIN		1
#define OMR_PATH_WEIGHT_MAX		65535

/**
 * enum omr_path_flag - Flags of a path (OMR_PATH_A_FLAGS).
 * @OMR_PATH_F_BACKUP: used only when no other path works
 */
enum omr_path_flag {
	OMR_PATH_F_BACKUP = 1,

	/* private: */
	OMR_PATH_F_MASK = 1,
};

/**
 * enum omr_path_health - Health of a path as the path manager judges it.
 * @OMR_PATH_HEALTH_OK: healthy
 * @OMR_PATH_HEALTH_DEMOTED: lossy or stalled, used as a backup until it heals
 */
enum omr_path_health {
	OMR_PATH_HEALTH_OK,
	OMR_PATH_HEALTH_DEMOTED,
};

/**
 * enum omr_conn_flag - Flags of an MPTCP connection (OMR_CONN_A_FLAGS).
 * @OMR_CONN_F_SERVER_SIDE: accepted, not initiated
 * @OMR_CONN_F_FULLY_ESTABLISHED: MPTCP-level fully established
 * @OMR_CONN_F_PM: followed by omr's path manager
 * @OMR_CONN_F_FALLBACK: fell back to plain TCP
 */
enum omr_conn_flag {
	OMR_CONN_F_SERVER_SIDE = 1,
	OMR_CONN_F_FULLY_ESTABLISHED = 2,
	OMR_CONN_F_PM = 4,
	OMR_CONN_F_FALLBACK = 8,
};

/**
 * enum omr_sf_flag - Flags of a subflow (OMR_SF_A_FLAGS).
 * @OMR_SF_F_BACKUP: we asked the peer for backup
 * @OMR_SF_F_PEER_BACKUP: the peer asked us
 * @OMR_SF_F_JOIN: an MP_JOIN, not the first subflow
 * @OMR_SF_F_FULLY_ESTABLISHED: TCP-level fully established
 * @OMR_SF_F_STALE: MPTCP found it stale
 */
enum omr_sf_flag {
	OMR_SF_F_BACKUP = 1,
	OMR_SF_F_PEER_BACKUP = 2,
	OMR_SF_F_JOIN = 4,
	OMR_SF_F_FULLY_ESTABLISHED = 8,
	OMR_SF_F_STALE = 16,
};

/**
 * enum omr_event_type - Type of an event (OMR_EV_A_TYPE).
 * @OMR_EV_UNSPEC: never sent
 * @OMR_EV_PATH_UP: the path's device is up, has carrier and an address
 * @OMR_EV_PATH_DOWN: the path's device lost one of these
 * @OMR_EV_SF_CREATED: a subflow of a followed connection became established
 * @OMR_EV_SF_CLOSED: such a subflow closed; the reason says why
 * @OMR_EV_PATH_DEMOTED: the path was demoted (reason stall, loss or rtt)
 * @OMR_EV_PATH_PROMOTED: the path was promoted back
 * @OMR_EV_FAILOVER: a connection lost its last regular subflow on its paths
 */
enum omr_event_type {
	OMR_EV_UNSPEC,
	OMR_EV_PATH_UP,
	OMR_EV_PATH_DOWN,
	OMR_EV_SF_CREATED,
	OMR_EV_SF_CLOSED,
	OMR_EV_PATH_DEMOTED,
	OMR_EV_PATH_PROMOTED,
	OMR_EV_FAILOVER,

	/* private: */
	__OMR_EV_MAX,
	OMR_EV_MAX = (__OMR_EV_MAX - 1)
};

/**
 * enum omr_ev_reason - Why an event happened (OMR_EV_A_REASON,
 *   OMR_PATH_A_HEALTH_REASON).
 * @OMR_EV_R_NONE: no reason applies
 * @OMR_EV_R_LINK_DOWN: the path's link went down
 * @OMR_EV_R_STALL: no ACK with data in flight (black hole)
 * @OMR_EV_R_LOSS: loss above the PM's loss_hi
 * @OMR_EV_R_RTT: RTT above the PM's rtt_hi
 * @OMR_EV_R_DUPLICATE: a second subflow on one path, destroyed
 * @OMR_EV_R_JOIN_TIMEOUT: a join not established in join_timeout
 * @OMR_EV_R_JOIN_FAILED: closed before it was seen established
 * @OMR_EV_R_PEER: closed by the peer or the stack
 * @OMR_EV_R_DEMOTED: failover: the path was demoted to backup
 */
enum omr_ev_reason {
	OMR_EV_R_NONE,
	OMR_EV_R_LINK_DOWN,
	OMR_EV_R_STALL,
	OMR_EV_R_LOSS,
	OMR_EV_R_RTT,
	OMR_EV_R_DUPLICATE,
	OMR_EV_R_JOIN_TIMEOUT,
	OMR_EV_R_JOIN_FAILED,
	OMR_EV_R_PEER,
	OMR_EV_R_DEMOTED,

	/* private: */
	__OMR_EV_R_MAX,
	OMR_EV_R_MAX = (__OMR_EV_R_MAX - 1)
};

enum omr_attr {
	OMR_A_UNSPEC,
	OMR_A_VERSION,
	OMR_A_KERNEL,
	OMR_A_PM,
	OMR_A_COUNTERS,
	OMR_A_PATH,
	OMR_A_CONN,
	OMR_A_SCHED,
	OMR_A_USAGE,
	OMR_A_EVENT,

	__OMR_A_MAX,
	OMR_A_MAX = (__OMR_A_MAX - 1)
};

enum omr_pm_attr {
	OMR_PM_A_UNSPEC,
	OMR_PM_A_ENABLED,
	OMR_PM_A_ADD_ADDR_ACCEPT,
	OMR_PM_A_PATHS,
	OMR_PM_A_MAX_PATHS,
	OMR_PM_A_CONNS,
	OMR_PM_A_TICK_MS,
	OMR_PM_A_STALL_MS,
	OMR_PM_A_FAIL_MS,
	OMR_PM_A_HOLD_MS,
	OMR_PM_A_LOSS_HI,
	OMR_PM_A_LOSS_LO,
	OMR_PM_A_RTT_HI_MS,
	OMR_PM_A_BACKOFF_MIN_MS,
	OMR_PM_A_BACKOFF_MAX_MS,
	OMR_PM_A_JOIN_TIMEOUT_MS,
	OMR_PM_A_ENABLE_WANTED,
	OMR_PM_A_ENABLE_ERROR,
	OMR_PM_A_GEN,
	OMR_PM_A_GEN_DONE,
	OMR_PM_A_MAX_CONNS,

	__OMR_PM_A_MAX,
	OMR_PM_A_MAX = (__OMR_PM_A_MAX - 1)
};

enum omr_cnt_attr {
	OMR_CNT_A_UNSPEC,
	OMR_CNT_A_PAD,
	OMR_CNT_A_CREATES,
	OMR_CNT_A_CREATE_ERRORS,
	OMR_CNT_A_CLOSED,
	OMR_CNT_A_DEMOTES,
	OMR_CNT_A_PROMOTES,
	OMR_CNT_A_REMOVES,
	OMR_CNT_A_ABORTS,
	OMR_CNT_A_EV_OVERFLOWS,
	OMR_CNT_A_CC_SET,
	OMR_CNT_A_CC_ERRORS,
	OMR_CNT_A_UNTRACKED,
	OMR_CNT_A_VISITS,
	OMR_CNT_A_WORK_NS,

	__OMR_CNT_A_MAX,
	OMR_CNT_A_MAX = (__OMR_CNT_A_MAX - 1)
};

enum omr_path_attr {
	OMR_PATH_A_UNSPEC,
	OMR_PATH_A_IFNAME,
	OMR_PATH_A_FLAGS,
	OMR_PATH_A_IFINDEX,
	OMR_PATH_A_LINK_UP,
	OMR_PATH_A_ADDR,
	OMR_PATH_A_HEALTH,
	OMR_PATH_A_ENABLED,
	OMR_PATH_A_WEIGHT,
	OMR_PATH_A_SADDR,
	OMR_PATH_A_GW,
	OMR_PATH_A_PAD,
	OMR_PATH_A_SUBFLOWS,
	OMR_PATH_A_SRTT_US,
	OMR_PATH_A_LOSS,
	OMR_PATH_A_TX_BYTES,
	OMR_PATH_A_RX_BYTES,
	OMR_PATH_A_WINDOW_MS,
	OMR_PATH_A_HEALTH_REASON,
	OMR_PATH_A_JOIN_FAILS,
	OMR_PATH_A_JOIN_FAILS_TOTAL,
	OMR_PATH_A_STRIPPED,
	OMR_PATH_A_CC,

	__OMR_PATH_A_MAX,
	OMR_PATH_A_MAX = (__OMR_PATH_A_MAX - 1)
};

enum omr_conn_attr {
	OMR_CONN_A_UNSPEC,
	OMR_CONN_A_TOKEN,
	OMR_CONN_A_LOCAL_ADDR,
	OMR_CONN_A_LOCAL_PORT,
	OMR_CONN_A_REMOTE_ADDR,
	OMR_CONN_A_REMOTE_PORT,
	OMR_CONN_A_STATE,
	OMR_CONN_A_FLAGS,
	OMR_CONN_A_SCHED,
	OMR_CONN_A_SUBFLOWS,

	__OMR_CONN_A_MAX,
	OMR_CONN_A_MAX = (__OMR_CONN_A_MAX - 1)
};

enum omr_sf_attr {
	OMR_SF_A_UNSPEC,
	OMR_SF_A_PAD,
	OMR_SF_A_ID,
	OMR_SF_A_IFINDEX,
	OMR_SF_A_IFNAME,
	OMR_SF_A_LOCAL_ADDR,
	OMR_SF_A_LOCAL_PORT,
	OMR_SF_A_REMOTE_ADDR,
	OMR_SF_A_REMOTE_PORT,
	OMR_SF_A_STATE,
	OMR_SF_A_FLAGS,
	OMR_SF_A_SRTT_US,
	OMR_SF_A_RTTVAR_US,
	OMR_SF_A_LOSS,
	OMR_SF_A_CWND,
	OMR_SF_A_BYTES_SENT,
	OMR_SF_A_BYTES_ACKED,
	OMR_SF_A_BYTES_RECEIVED,
	OMR_SF_A_RETRANS,
	OMR_SF_A_CC,

	__OMR_SF_A_MAX,
	OMR_SF_A_MAX = (__OMR_SF_A_MAX - 1)
};

enum omr_sched_attr {
	OMR_SCHED_A_UNSPEC,
	OMR_SCHED_A_LOSS_PENALTY,
	OMR_SCHED_A_LOSS_GAIN,
	OMR_SCHED_A_RTT_UNKNOWN_US,
	OMR_SCHED_A_BURST,

	__OMR_SCHED_A_MAX,
	OMR_SCHED_A_MAX = (__OMR_SCHED_A_MAX - 1)
};

enum omr_usage_attr {
	OMR_USAGE_A_UNSPEC,
	OMR_USAGE_A_SCHED_CONNS,
	OMR_USAGE_A_PM_ENABLED,
	OMR_USAGE_A_NETNS,
	OMR_USAGE_A_NETNS_SCHED,
	OMR_USAGE_A_NETNS_PM,

	__OMR_USAGE_A_MAX,
	OMR_USAGE_A_MAX = (__OMR_USAGE_A_MAX - 1)
};

enum omr_ev_attr {
	OMR_EV_A_UNSPEC,
	OMR_EV_A_TYPE,
	OMR_EV_A_REASON,
	OMR_EV_A_IFNAME,
	OMR_EV_A_IFINDEX,
	OMR_EV_A_TOKEN,
	OMR_EV_A_LOCAL_ADDR,
	OMR_EV_A_LOCAL_PORT,
	OMR_EV_A_REMOTE_ADDR,
	OMR_EV_A_REMOTE_PORT,
	OMR_EV_A_ERROR,
	OMR_EV_A_TO_IFNAME,
	OMR_EV_A_TO_IFINDEX,

	__OMR_EV_A_MAX,
	OMR_EV_A_MAX = (__OMR_EV_A_MAX - 1)
};

enum omr_addr_attr {
	OMR_ADDR_A_UNSPEC,
	OMR_ADDR_A_FAMILY,
	OMR_ADDR_A_ADDR,

	__OMR_ADDR_A_MAX,
	OMR_ADDR_A_MAX = (__OMR_ADDR_A_MAX - 1)
};

enum omr_cmd {
	OMR_CMD_UNSPEC,
	OMR_CMD_GET_STATUS,
	OMR_CMD_GET_PATHS,
	OMR_CMD_SET_PM,
	OMR_CMD_PATH_ADD,
	OMR_CMD_PATH_DEL,
	OMR_CMD_GET_CONNS,
	OMR_CMD_GET_SCHED,
	OMR_CMD_SET_SCHED,
	OMR_CMD_PATH_CHANGE,
	OMR_CMD_EVENT,

	__OMR_CMD_MAX,
	OMR_CMD_MAX = (__OMR_CMD_MAX - 1)
};

#define OMR_GENL_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_OMR_H */
