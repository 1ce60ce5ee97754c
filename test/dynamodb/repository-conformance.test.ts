import { repositoryConformance } from '../data/repository-conformance.js';
import { dynamoBackend } from './dynamo-backend.js';

repositoryConformance(dynamoBackend());
