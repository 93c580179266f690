# oncoatlas_kube_runtime: the controller runtime — clock, work queue, metrics,
# logging, health server, controller, leader election, events. It never talks
# HTTP to the API server itself (that is the client library's job).
add_library(oncoatlas_kube_runtime
  ${CMAKE_CURRENT_LIST_DIR}/metrics_registry.cc
  ${CMAKE_CURRENT_LIST_DIR}/runtime_metrics.cc
  ${CMAKE_CURRENT_LIST_DIR}/log_redaction.cc
  ${CMAKE_CURRENT_LIST_DIR}/logging.cc
  ${CMAKE_CURRENT_LIST_DIR}/health_server.cc
  ${CMAKE_CURRENT_LIST_DIR}/controller.cc
  ${CMAKE_CURRENT_LIST_DIR}/lease_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/leader_election.cc
  ${CMAKE_CURRENT_LIST_DIR}/lease_json.cc
  ${CMAKE_CURRENT_LIST_DIR}/event_recorder.cc
)
target_link_libraries(oncoatlas_kube_runtime PUBLIC oncoatlas_kube_meta oncoatlas_kube_clock oncoatlas_core Threads::Threads spdlog::spdlog nlohmann_json::nlohmann_json Boost::boost)

# The runtime's interfaces backed by the API server (through the client
# library): leader election's LeaseStore and the recorder's EventSink.
add_library(oncoatlas_kube_rest_runtime
  ${CMAKE_CURRENT_LIST_DIR}/rest_lease_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/rest_event_sink.cc
)
target_link_libraries(oncoatlas_kube_rest_runtime PUBLIC oncoatlas_kube_runtime oncoatlas_kube)
