// The broker interface on SQS — the shared conformance suite — against the protocol-level
// server of sqs-server.ts, not AWS.
import { brokerConformance } from './broker-conformance.js';
import { openSqsHarness } from './sqs.js';

brokerConformance('SQS (the test server)', true, openSqsHarness);
