#pragma once
// TCP socket counts per state through NETLINK_SOCK_DIAG (the interface `ss` uses). On large-memory hosts
// /proc/net/tcp walks the whole established hash table in page-sized reads and costs milliseconds even
// with few sockets (measured: ~8 ms per file on a 24 GB VM, vs. ~1.5 ms per family here); node_exporter's
// tcpstat collector switched to netlink for the same reason. Counts this process's network namespace,
// as /proc/net/tcp does.

#include <array>
#include <cstdint>

#include "core/status.h"

namespace foresight::ingest::internal {

// Adds the IPv4 and IPv6 TCP sockets per state (index = state code - 1, as kTcpStateNames) to *counts.
// Errors: Unavailable (no netlink socket, e.g. seccomp or a kernel without inet_diag; the caller falls
// back to /proc/net/tcp). IPv6 being absent (EAFNOSUPPORT-like replies) is not an error.
Status CountTcpStatesNetlink(std::array<uint64_t, 12>* counts);

}  // namespace foresight::ingest::internal
