/**
 * Tokens that name a router's role, interface or address kind, or are common words, and so are never read as
 * places, even when they spell an airport code (`bbr`, `cor`), a country (`ae` is the UAE, `br` Brazil, `bb`
 * Barbados) or a town (`core`, `edge`, `static`). Drawn from the router names in the project's fixtures and
 * the usual interface names of Cisco, Juniper, Nokia and Huawei routers.
 */
export const ROLE_WORDS: ReadonlySet<string> = new Set([
  // interfaces
  ...'ae xe et ge te fe hu fo be bu po so lo gi tu eth gig ten hge tge fge xge bundle vlan vl irb ve lag pos ser serial loop loopback lo0 mgmt oob tun tunnel dot sub int if ix'.split(
    ' ',
  ),
  // roles
  ...'bb br cr ar er pr sr dr rr mr gw rt sw as bbr cor core edge agg acc dist bdr brdr peer peering rtr router switch csw asw dsw msw tsw psw fsw ssw cs ds es ms crs asr mx ptx ncs ne mpr ebr pe ce pop ixp ic tcore icore ccr car bar gar ear xcr hsa hsr lsr bras bng cgn nat fw lb vip dns ntp mail mx smtp www web ftp vpn'.split(
    ' ',
  ),
  // address kinds and access networks
  ...'ip ipv ipv4 ipv6 v4 v6 static dynamic dyn dhcp pool ppp pppoe dsl adsl vdsl cable fiber fibre ftth cust customer client host res biz business broadband wireless lte mobile home user users node rev ptr inaddr arpa'.split(
    ' ',
  ),
  // words that are also place names somewhere, or airport codes
  ...'net com org the and for via new old east west north south northeast northwest southeast southwest central compute gate link nap data cloud server net1 level light speed lightspeed star mini main tor wan lan man'.split(
    ' ',
  ),
]);
