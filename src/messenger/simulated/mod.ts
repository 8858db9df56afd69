/**
 * The simulated Messenger network: what the rest of the program (and tests) import from here.
 *
 * @module
 */

export {
  createSimulatedNetwork,
  SimulatedNetwork,
  type SimulatedNetworkOptions,
} from "./simulated_network.ts";
export { SimulatedSession } from "./simulated_session.ts";
export { type AccountSummary, SimulatedControl } from "./control.ts";
export { type ControlAddress, ControlServer } from "./control_server.ts";
export type { Fault, FaultableMethod, FaultTarget, PendingFault } from "./faults.ts";
export type { InjectedAttachment, InjectedFile, InjectedMention, Injection } from "./injection.ts";
export type {
  Operation,
  OperationDetails,
  OperationMethod,
  OperationPage,
  RecordedAttachment,
} from "./operations.ts";
export type { StoredFile } from "./file_server.ts";
export { loadWorld, parseWorld } from "./parse_world.ts";
export type { World, WorldAccount, WorldGroup, WorldMessageRequest, WorldUser } from "./world.ts";
export { WorldError, type WorldProblem } from "./world_error.ts";
export { isLoopbackHostname } from "./loopback.ts";
