package dev.herd.listen;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class NatRulesTest {

    @Test
    void everyBandJumpsToItsHomeSlotAndOnlyThePublicPortIsRedirected() throws Exception {
        NatRules rules = new NatRules(InetAddress.getByName("0.0.0.0"), 8080, 3);
        String script = rules.create();
        assertThat(rules.table()).isEqualTo("herd_8080");
        assertThat(script).startsWith("table inet herd_8080 {}\ndelete table inet herd_8080\n");
        assertThat(script).contains("0.0.0.0 : jump slot0, 0.0.0.1 : jump slot1, 0.0.0.2 : jump slot2, 0.0.0.3 : jump slot0")
                .contains("0.0.0.255 : jump slot0 }").contains("::ff : jump slot0 }")
                .contains("chain slot2 {\n  }")
                .contains("meta nfproto ipv4 fib daddr type local tcp dport 8080 ip saddr & 0.0.0.255 vmap @bands4")
                .doesNotContain("ip6 saddr & ::ff vmap") // 0.0.0.0 listens for IPv4 only
                .contains("type nat hook prerouting priority -100").contains("type nat hook output priority -100")
                .contains("tcp dport @guarded ct status dnat accept\n    tcp dport @guarded fib saddr type local accept\n"
                        + "    tcp dport @guarded drop");
    }

    @Test
    void aSpecificAddressIsMatchedAndTheWildcardV6AddressTakesBothFamilies() throws Exception {
        NatRules v6 = new NatRules(InetAddress.getByName("::1"), 9000, 2);
        assertThat(v6.table()).isEqualTo("herd_9000_0_0_0_0_0_0_0_1");
        assertThat(v6.create()).contains("ip6 daddr 0:0:0:0:0:0:0:1 ip6 saddr & ::ff vmap @bands6")
                .doesNotContain("vmap @bands4");
        NatRules dual = new NatRules(InetAddress.getByName("::"), 9000, 2);
        assertThat(dual.table()).isEqualTo("herd_9000");
        assertThat(dual.create()).contains("ip saddr & 0.0.0.255 vmap @bands4").contains("ip6 saddr & ::ff vmap @bands6");
        NatRules one = new NatRules(InetAddress.getByName("10.1.2.3"), 80, 1);
        assertThat(one.create()).contains("tcp dport 80 ip daddr 10.1.2.3 ip saddr & 0.0.0.255 vmap @bands4");
    }

    @Test
    void steeringRewritesOnlyTheGivenSlotsAndAnEmptyChainRefuses() throws Exception {
        NatRules rules = new NatRules(InetAddress.getByName("0.0.0.0"), 8080, 4);
        Map<Integer, Integer> changes = new TreeMap<>(Map.of(1, 40001, 3, 0));
        assertThat(rules.steer(changes)).isEqualTo("""
                flush chain inet herd_8080 slot1
                add rule inet herd_8080 slot1 meta l4proto tcp redirect to :40001
                flush chain inet herd_8080 slot3
                """);
    }

    @Test
    void anAdoptingMastersTableSendsEveryBandWhereItWentBeforeInTheSameTransaction() throws Exception {
        NatRules rules = new NatRules(InetAddress.getByName("0.0.0.0"), 8080, 3);
        String script = rules.create(new int[] {40001, 40002, 40001}, java.util.List.of(40001, 40002));
        assertThat(script).startsWith("table inet herd_8080 {}\ndelete table inet herd_8080\n");
        assertThat(script).contains("set guarded { type inet_service; elements = { 40001, 40002 } }");
        assertThat(script).contains("chain slot0 {\n    meta l4proto tcp redirect to :40001\n  }")
                .contains("chain slot1 {\n    meta l4proto tcp redirect to :40002\n  }")
                .contains("chain slot2 {\n    meta l4proto tcp redirect to :40001\n  }");
        assertThat(rules.create()).contains("chain slot0 {\n  }").contains("set guarded { type inet_service; }");
        assertThat(script).contains("set accepted { type inet_service; counter; elements = { 40001, 40002 } }");
    }

    /** Every connection redirected to a worker port bumps its counter; guard and unguard keep both sets together. */
    @Test
    void eachWorkerPortCountsItsNewConnections() throws Exception {
        NatRules rules = new NatRules(InetAddress.getByName("0.0.0.0"), 8080, 2);
        assertThat(rules.create()).contains("set accepted { type inet_service; counter; }")
                .contains("type filter hook input priority filter; policy accept;\n    ct state new ct status dnat tcp dport @accepted\n"
                        + "    tcp dport @guarded ct status dnat accept");
        assertThat(rules.guard(40001)).isEqualTo("add element inet herd_8080 guarded { 40001 }\n"
                + "add element inet herd_8080 accepted { 40001 }\n");
        assertThat(rules.unguard(40001)).isEqualTo("delete element inet herd_8080 guarded { 40001 }\n"
                + "delete element inet herd_8080 accepted { 40001 }\n");
        assertThat(rules.listAccepted()).containsExactly("-j", "list", "set", "inet", "herd_8080", "accepted");
        // what nft 1.0.6 prints for the set
        Object listing = com.fasterxml.jackson.jr.ob.JSON.std.anyFrom("""
                {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}, {"set": {"family": "inet",
                "name": "accepted", "table": "herd_8080", "type": "inet_service", "handle": 2, "elem": [
                {"elem": {"val": 40001, "counter": {"packets": 3, "bytes": 180}}},
                {"elem": {"val": 40002, "counter": {"packets": 0, "bytes": 0}}}, {"elem": {"val": 40003}}],
                "stmt": [{"counter": null}]}}]}""");
        assertThat(NatRules.acceptedCounts(listing)).containsExactlyInAnyOrderEntriesOf(Map.of(40001, 3L, 40002, 0L, 40003, 0L));
        assertThat(NatRules.acceptedCounts(Map.of("nftables", "?"))).isEmpty();
        assertThat(NatRules.acceptedCounts("not json")).isEmpty();
    }

    @Test
    void aSlotWithoutAWorkerLendsItsClientsToTheNextServingSlot() {
        assertThat(NatRules.targets(new int[] {100, 0, 300, 400})).containsExactly(100, 300, 300, 400);
        assertThat(NatRules.targets(new int[] {100, 200, 0, 0})).containsExactly(100, 200, 100, 100);
        assertThat(NatRules.targets(new int[] {0, 0})).containsExactly(0, 0);
    }
}
