#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers of selftests/omr_ynl.sh around the kernel's YNL library
(tools/net/ynl/lib of linux-source, unpacked by scripts/ynl.sh).

  ynl_helper.py YNLDIR events SPEC SECONDS READYFILE
      join the "events" group, touch READYFILE, collect until READYFILE.stop
      appears (and 1 s more) or for SECONDS at most, print
      the notifications as JSON (one list)
  ynl_helper.py YNLDIR policy SPEC
      compare the policies the running kernel advertises for the omr family
      (nlctrl getpolicy) with the spec: for every request attribute of every
      operation, and every attribute of the nest it names that the kernel
      accepts, the type and the range must be the spec's. Prints one line
      per difference, exits 1 if any.
"""
import json
import os
import tempfile
import sys
import time

KTYPE = {'u8': 'u8', 'u16': 'u16', 'u32': 'u32', 'u64': 'u64',
         'string': 'nul-string', 'nest': 'nested'}


def limit(spec, v):
    if isinstance(v, int):
        return v
    for d in spec['definitions']:
        if d['name'] == v:
            return d['value']
    raise KeyError(v)


def flags_mask(spec, name):
    for d in spec['definitions']:
        if d['name'] == name:
            return (1 << len(d['entries'])) - 1
    raise KeyError(name)


def kmask(p):
    """The kernel's NL_POLICY_TYPE_ATTR_MASK. 6.12's nlctrl.yaml numbers its
    policy attributes one off there: the mask (a u64) decodes as 'pad'."""
    if 'mask' in p:
        return p['mask']
    raw = p.get('pad')
    if isinstance(raw, bytes) and len(raw) == 8:
        return int.from_bytes(raw, 'little')
    return None


def compare_set(spec, sets, kpol, pols, set_name, where, errs):
    """kpol: {attr index: policy} the kernel accepts for set_name."""
    attrs = {i: a for i, a in enumerate(sets[set_name]['attributes'])}
    for idx, p in sorted(kpol.items()):
        a = attrs.get(idx)
        if a is None:
            errs.append(f'{where}: kernel accepts attribute {idx}, not in the spec')
            continue
        name = f'{where} {set_name}.{a["name"]}'
        want = KTYPE.get(a['type'], a['type'])
        if p.get('type') != want:
            errs.append(f'{name}: kernel type {p.get("type")}, spec {want}')
            continue
        checks = a.get('checks', {})
        for k, kk in (('min', 'min-value-u'), ('max', 'max-value-u')):
            if k in checks and p.get(kk) != limit(spec, checks[k]):
                errs.append(f'{name}: kernel {k} {p.get(kk)}, spec {limit(spec, checks[k])}')
        if a['type'] in ('u8', 'u16', 'u32', 'u64') and 'max' not in checks and \
                not a.get('enum-as-flags') and p.get('max-value-u') not in (None, (1 << {'u8': 8, 'u16': 16, 'u32': 32, 'u64': 64}[a['type']]) - 1):
            errs.append(f'{name}: kernel max {p.get("max-value-u")}, spec none')
        if a.get('enum-as-flags') and kmask(p) != flags_mask(spec, a['enum']):
            errs.append(f'{name}: kernel mask {kmask(p)}, spec {flags_mask(spec, a["enum"])}')
        if 'max-len' in checks and p.get('max-length') != checks['max-len']:
            errs.append(f'{name}: kernel max-length {p.get("max-length")}, spec {checks["max-len"]}')
        if a['type'] == 'nest':
            sub = pols.get(p.get('policy-idx'))
            if sub is None:
                errs.append(f'{name}: kernel has no nested policy')
            else:
                compare_set(spec, sets, sub, pols, a['nested-attributes'], where, errs)


def policy(ynldir, spec_path):
    import yaml
    from lib import YnlFamily
    spec = yaml.safe_load(open(spec_path))
    sets = {s['name']: s for s in spec['attribute-sets']}
    # 6.12's ynl library cannot decode the 'pad' attributes its own nlctrl
    # spec declares (the kernel adds one to a u64 bound): read them as
    # binary, from a copy of the spec.
    ctl_path = os.path.join(ynldir, '../../../Documentation/netlink/specs/nlctrl.yaml')
    ctl_spec = yaml.safe_load(open(ctl_path))
    for aset in ctl_spec['attribute-sets']:
        for attr in aset['attributes']:
            if attr.get('type') == 'pad':
                attr['type'] = 'binary'
    tmp = tempfile.NamedTemporaryFile('w', suffix='.yaml', delete=False)
    with open(ctl_path) as f:
        tmp.write(f.readline())	# the SPDX line the library requires
    yaml.safe_dump(ctl_spec, tmp)
    tmp.close()
    ctrl = YnlFamily(tmp.name, '')
    os.unlink(tmp.name)
    msgs = ctrl.dump('getpolicy', {'family-name': 'omr'})
    pols, ops = {}, {}
    # Each message holds one attribute of one policy, or one op's policies
    # (ynl flattens nest-type-value: policy-id, attr-id, then the fields).
    for m in msgs:
        p = m.get('policy')
        if p:
            pols.setdefault(p['policy-id'], {})[p['attr-id']] = p
        o = m.get('op-policy')
        if o:
            ops[o['op-id']] = o
    errs = []
    checked = 0
    for val, op in enumerate(spec['operations']['list']):
        req = op.get('do', {}).get('request')
        if not req:
            continue
        if val not in ops or 'do' not in ops[val]:
            errs.append(f'{op["name"]}: the kernel has no do policy')
            continue
        top = pols.get(ops[val]['do'], {})
        names = {a['name']: i for i, a in enumerate(sets['omr']['attributes'])}
        accepted = {i: p for i, p in top.items()}
        for i in accepted:
            a = sets['omr']['attributes'][i]['name']
            if a not in req['attributes']:
                errs.append(f'{op["name"]}: kernel accepts {a}, the spec does not list it')
        for a in req['attributes']:
            if names[a] not in accepted:
                errs.append(f'{op["name"]}: spec lists {a}, the kernel refuses it')
        compare_set(spec, sets, accepted, pols, 'omr', op['name'], errs)
        checked += 1
    for e in errs:
        print(e)
    print(f'# {checked} operations with a request compared, {len(pols)} policies')
    return 1 if errs or not checked else 0


def events(spec_path, seconds, ready):
    from lib import YnlFamily
    y = YnlFamily(spec_path, '')
    y.ntf_subscribe('events')
    open(ready, 'w').close()
    # Until the test says it is done (READY.stop, then 1 s more for the
    # last event), or at most SECONDS: the steps between are spawned
    # commands, whose time the machine decides.
    end = time.monotonic() + seconds
    stopping = False
    while time.monotonic() < end:
        y.check_ntf()
        if not stopping and os.path.exists(ready + '.stop'):
            stopping = True
            end = min(end, time.monotonic() + 1)
        time.sleep(0.2)
    print(json.dumps(y.async_msg_queue, default=str))
    return 0


def main():
    ynldir = sys.argv[1]
    sys.path.insert(0, ynldir)
    if sys.argv[2] == 'policy':
        return policy(ynldir, sys.argv[3])
    if sys.argv[2] == 'events':
        return events(sys.argv[3], float(sys.argv[4]), sys.argv[5])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
