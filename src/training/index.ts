export { TrainableModel, ForwardCallOptions } from './model';
export { Objective, LossGradients, lossGradients } from './gradients';
export { SequenceLoss, TrainStepOptions, trainStep } from './trainer';
