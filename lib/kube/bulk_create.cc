#include "kube/bulk_create.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace oncoatlas::kube {

BulkCreateResult BulkCreate(RestClient& client, const GroupVersionResource& gvr, const std::string& ns,
                            const std::vector<Json>& objects, const BulkCreateOptions& options) {
  BulkCreateResult result;
  if (objects.empty()) return result;
  const std::size_t pool = std::max<std::size_t>(1, client.max_idle_connections());
  const std::size_t wanted = static_cast<std::size_t>(std::max(1, options.concurrency));
  const std::size_t workers = std::min({wanted, pool, objects.size()});
  result.concurrency = static_cast<int>(workers);

  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> created{0};
  std::mutex failures_mutex;
  auto work = [&] {
    for (std::size_t i = next++; i < objects.size(); i = next++) {
      std::string body;
      try {
        body = objects[i].dump();
      } catch (const Json::exception& e) {  // e.g. a string that is not UTF-8
        std::lock_guard<std::mutex> lock(failures_mutex);
        result.failures.push_back({i, ApiError(InvalidArgumentError("object " + std::to_string(i) +
                                                                    " cannot be written as JSON: " + e.what()))});
        continue;
      }
      auto r = client.CreateSerialized(gvr, ns, std::move(body), options.write);
      if (r.ok()) {
        ++created;
      } else {
        std::lock_guard<std::mutex> lock(failures_mutex);
        result.failures.push_back({i, r.error()});
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(workers - 1);
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(work);
  work();  // the caller's thread is one of the workers
  for (auto& t : threads) t.join();
  result.created = created.load();
  std::sort(result.failures.begin(), result.failures.end(),
            [](const BulkCreateFailure& a, const BulkCreateFailure& b) { return a.index < b.index; });
  return result;
}

}  // namespace oncoatlas::kube
