// One failing panel must not blank the page: each panel renders inside a boundary that shows what went wrong and a
// way on (draw it again, or go back to the default setup when the setup itself is what cannot be drawn), while the
// other panels keep working. Error boundaries are still class components in React 19.
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { defaultConfig } from '../protocol/config';
import { useStore } from '../store';

interface Props {
  /** What the panel is, for the message ("the EP column"). */
  name: string;
  children: ReactNode;
}

interface State {
  error: Error | null;
}

export class PanelBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    // The console keeps the component stack for a bug report; the panel says it in words.
    console.warn(`Supermask Studio: ${this.props.name} failed`, error, info.componentStack);
  }

  private retry = () => this.setState({ error: null });

  private resetSetup = () => {
    useStore.getState().setConfig(defaultConfig());
    this.setState({ error: null });
  };

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <section className="panel panel-failed" role="alert" data-testid="panel-failed">
        <p>
          <strong>{this.props.name} could not be drawn:</strong> {error.message}
        </p>
        <p>The rest of the page still works.</p>
        <div className="panel-failed-actions">
          <button type="button" onClick={this.retry}>
            Draw it again
          </button>
          <button type="button" onClick={this.resetSetup}>
            Back to the default setup
          </button>
        </div>
      </section>
    );
  }
}
