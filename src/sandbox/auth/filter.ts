// The API server's authentication and authorization filters in one call: who is asking
// (401 for bad credentials), as whom (impersonation, 403 when not allowed), may they (403 with
// kube-apiserver's message), and, for the review APIs, the answer to give instead of routing.
import type http from 'node:http';
import { type Attributes, type UserInfo, requestAttributes } from './attributes.js';
import type { SandboxAuth } from './auth.js';
import { withRequestor } from './csr.js';
import { type ReviewAnswer, answerReview, isReviewRequest } from './reviews.js';

export interface Admitted {
  user: UserInfo;
  attributes: Attributes;
  /** Set for review APIs and TokenRequests: answer with the decoded body instead of routing. */
  review?: (body: unknown) => Promise<ReviewAnswer>;
  /** Set when the server fills the body from the caller (a CertificateSigningRequest's requestor). */
  rewrite?: (body: unknown) => unknown;
}

export async function admit(auth: SandboxAuth, req: http.IncomingMessage, method: string, url: URL): Promise<Admitted> {
  const user = await auth.identify(req);
  const attributes = requestAttributes(method, url);
  await auth.authorize(user, attributes);
  if (attributes.verb === 'create' && attributes.apiGroup === 'certificates.k8s.io' && attributes.resource === 'certificatesigningrequests' && !attributes.subresource) {
    return { user, attributes, rewrite: (body) => withRequestor(body, user) };
  }
  if (!isReviewRequest(attributes)) return { user, attributes };
  return { user, attributes, review: (body) => answerReview(auth, user, method, attributes, body) };
}
