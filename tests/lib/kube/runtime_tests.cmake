# Unit tests of the controller runtime (lib/kube, library oncoatlas_kube_runtime).
oncoatlas_unit_test(kube_runtime_test
  ${CMAKE_CURRENT_LIST_DIR}/backoff_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/clock_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/workqueue_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/logging_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/health_server_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/controller_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/leader_election_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/lease_json_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/rfc3339_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/event_recorder_test.cc
)
target_link_libraries(kube_runtime_test PRIVATE oncoatlas_kube_runtime)

# The runtime's REST-backed LeaseStore and EventSink against the real API
# server; they share the client integration binary's control plane.
target_sources(kube_client_integration_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/rest_runtime_integration_test.cc)
target_link_libraries(kube_client_integration_test PRIVATE oncoatlas_kube_rest_runtime)
