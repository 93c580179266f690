// BulkCreate: creates many objects of one resource through one RestClient
// with bounded concurrency — `concurrency` requests in flight, each on its own
// pooled keep-alive connection, the client's rate limit and retries applying
// to each. Each object is serialised once, by the worker that sends it, and a
// created object's response is checked but not parsed. Failures come back per
// object with its index, in input order; one failure does not stop the rest.
//
// Blocks the calling thread until every object was tried; it starts its own
// worker threads and shares nothing but the client (which is thread-safe).
#pragma once

#include <cstddef>
#include <vector>

#include "kube/rest_client.h"

namespace oncoatlas::kube {

struct BulkCreateOptions {
  // Requests in flight at once. More than the API server's CPUs can keep
  // busy only queues requests in the server; more than the client's pool of
  // idle connections (RestClient::Options::max_idle_connections) makes the
  // extra connections reconnect, with a TLS handshake, for every request.
  // Capped at both the pool size and the number of objects.
  int concurrency = 8;
  WriteOptions write{};  // field manager, dry run, field validation
};

struct BulkCreateFailure {
  std::size_t index = 0;  // into the objects passed
  ApiError error;
};

struct BulkCreateResult {
  std::size_t created = 0;
  std::vector<BulkCreateFailure> failures{};  // by index
  int concurrency = 0;                        // the concurrency used after capping
};

BulkCreateResult BulkCreate(RestClient& client, const GroupVersionResource& gvr, const std::string& ns,
                            const std::vector<Json>& objects, const BulkCreateOptions& options = {});

}  // namespace oncoatlas::kube
