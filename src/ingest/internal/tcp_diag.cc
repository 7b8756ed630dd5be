#include "ingest/internal/tcp_diag.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace foresight::ingest::internal {
namespace {

// Closes the socket on every path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Dumps one address family. Returns false with *err set on failure; a family the kernel does not know
// (IPv6 disabled) answers with an NLMSG_ERROR, reported as ok with nothing counted.
bool DumpFamily(int fd, uint8_t family, std::array<uint64_t, 12>* counts, std::string* err) {
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = family;
  msg.req.sdiag_family = family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0u;  // every state
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    *err = std::string("sendto: ") + std::strerror(errno);
    return false;
  }
  alignas(nlmsghdr) char buf[32768];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *err = n < 0 ? std::string("recv: ") + std::strerror(errno) : "recv: connection closed";
      return false;
    }
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) return true;
      if (h->nlmsg_type == NLMSG_ERROR) return true;  // family not supported: nothing to count
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
      const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      if (m->idiag_state >= 1 && m->idiag_state <= counts->size()) ++(*counts)[m->idiag_state - 1];
    }
  }
}

}  // namespace

Status CountTcpStatesNetlink(std::array<uint64_t, 12>* counts) {
  Fd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (fd.get() < 0) return Status::Unavailable("netlink sock_diag socket", std::strerror(errno));
  std::array<uint64_t, 12> local{};
  std::string err;
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    if (!DumpFamily(fd.get(), family, &local, &err)) return Status::Unavailable("netlink sock_diag", err);
  }
  for (size_t i = 0; i < local.size(); ++i) (*counts)[i] += local[i];
  return Status::Ok();
}

}  // namespace foresight::ingest::internal
