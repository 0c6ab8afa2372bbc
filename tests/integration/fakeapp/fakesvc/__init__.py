"""A hand-written FastStream service with the generated projects' layout and conventions.

Only for checking the integration-test harness itself (``IT_FAKE_SERVICE=1``): one receive and
one send (or request/reply) operation per bundled spec, on the spec's addresses.
"""
