export { TrainableModel, ForwardCallOptions } from './model';
export { Objective, LossGradients, gradientsByName, lossGradients } from './gradients';
export { SequenceLoss, TrainStepOptions, trainStep } from './trainer';
