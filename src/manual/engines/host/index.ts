export { Activation, HostProduct, ProductWeights, createHostProduct } from './product';
export { hostProductOf } from './productFromTensor';
export { FusedStepWeights, FusedSteps, createFusedSteps } from './fusedSteps';
export { HostInput, HostModelForward, HostStreamStates, hostCallInLayout, projectRowsInto } from './modelForward';
export { readValues, tensorFilledBy, tensorOfValues } from './tensorValues';
