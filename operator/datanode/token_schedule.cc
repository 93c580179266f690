#include "datanode/token_schedule.h"

#include <algorithm>

#include "core/duration.h"

namespace oncoatlas::datanode {

Result<TokenSchedule> TokenScheduleFor(const api::DataNode& node, std::chrono::seconds default_lifetime,
                                       std::optional<std::chrono::seconds> renew_after_override) {
  TokenSchedule s;
  s.lifetime = default_lifetime;
  s.renew_after = std::chrono::duration_cast<std::chrono::seconds>(default_lifetime * 2 / 3);
  if (node.spec.agent && node.spec.agent->credential_rotation_interval) {
    const std::string& text = *node.spec.agent->credential_rotation_interval;
    const auto interval = ParseGoDuration(text);
    if (!interval || *interval < std::chrono::seconds(1)) {
      return InvalidArgumentError("spec.agent.credentialRotationInterval \"" + text +
                                  "\" is not a duration such as 24h or 1h30m");
    }
    s.renew_after = std::chrono::duration_cast<std::chrono::seconds>(*interval);
    s.lifetime = s.renew_after * 2;
  }
  if (renew_after_override) s.renew_after = std::min(*renew_after_override, s.lifetime);
  return s;
}

}  // namespace oncoatlas::datanode
