from tests.processes.chain import Chain
def test_dbg(chain: Chain) -> None:
    chain.signal()
    chain.at("2026-04-24 10:00")
    chain.send("arrears_resolved", paid_on="2026-04-24")
    v = chain.instance()
    print("STATUS", v.status, v.current_elements, v.error, chain.open_ids())
    for e in chain.events():
        print("EV", e.kind, e.element_id, e.detail)
